import { findVisibleImage } from "../../staging/reads.js";
import { requireViewer } from "../context.js";
import type { UploadProgressResolvers } from "../generated/resolvers.js";

export const UploadProgress: UploadProgressResolvers = {
  at: (event) => new Date(event.at),
  percent: (event) => (event.bytesTotal ? Math.min(100, Math.round((event.bytesReceived / event.bytesTotal) * 1000) / 10) : null),
  async stagedImage(event, _args, context) {
    if (event.phase !== "READY") return null;
    // The subscriber's own upload (watchUpload checked), so theirs to see.
    return (await findVisibleImage(context.staging, requireViewer(context), event.stagedImageId)) ?? null;
  },
  error: (event) => (event.phase === "FAILED" ? event.error : null),
};
