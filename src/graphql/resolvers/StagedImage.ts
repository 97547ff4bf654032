import type { StagedImageResolvers } from "../generated/resolvers.js";

export const StagedImage: StagedImageResolvers = {
  image: (image) => image,
  // A staged row always has an expiry; once committed the field is no longer asked for.
  expiresAt: (image) => image.expires_at ?? image.updated_at,
};
