import { ErrorCode } from "../../errors/ErrorCode.js";
import { UpstageError } from "../../errors/UpstageError.js";
import type { UploadEvent } from "../../progress/UploadEvent.js";
import { requireViewer } from "../context.js";
import type { SubscriptionResolvers } from "../generated/resolvers.js";

export const Subscription: SubscriptionResolvers = {
  uploadProgress: {
    async subscribe(_parent, { uploadId }, context) {
      const viewer = requireViewer(context);
      if (!(await context.progress.claim(uploadId, viewer.id))) {
        throw new UpstageError(ErrorCode.Forbidden, "That uploadId belongs to another user.");
      }
      return context.progress.subscribe(uploadId);
    },
    resolve: (event: UploadEvent) => event,
  },
};
