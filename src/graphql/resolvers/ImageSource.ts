import type { ImageSourceResolvers } from "../generated/resolvers.js";

export const ImageSource: ImageSourceResolvers = {
  async srcset(source, _args, context) {
    const urls = await Promise.all(source.thumbnails.map((t) => context.mediaUrl(t.storage_key)));
    return source.thumbnails.map((t, i) => `${urls[i]} ${t.width}w`).join(", ");
  },
  thumbnails: (source) => [...source.thumbnails],
};
