import type { PhotoResolvers } from "../generated/resolvers.js";

export const Photo: PhotoResolvers = {
  // Users are never deleted, and a photo's owner is a user.
  owner: async (photo, _args, context) => (await context.profiles.load(photo.owner_id))!,
  image: (photo) => photo.image,
  createdAt: (photo) => photo.created_at,
};
