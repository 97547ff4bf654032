import type { ImageSourceResolvers } from "../generated/resolvers.js";
import { srcsetOf } from "../srcsetOf.js";

export const ImageSource: ImageSourceResolvers = {
  srcset: (source, _args, context) => srcsetOf(source.thumbnails, context),
  thumbnails: (source) => [...source.thumbnails],
};
