import type { DirectUploadResolvers } from "../generated/resolvers.js";

export const DirectUpload: DirectUploadResolvers = {
  headers: (upload) => Object.entries(upload.headers).map(([name, value]) => ({ name, value })),
};
