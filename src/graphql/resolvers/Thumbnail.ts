import type { StoredFormat } from "../../images/imageFormat.js";
import type { ThumbnailResolvers } from "../generated/resolvers.js";

export const Thumbnail: ThumbnailResolvers = {
  url: (thumbnail, _args, context) => context.mediaUrl(thumbnail.storage_key),
  format: (thumbnail) => thumbnail.format as StoredFormat,
};
