import { watchUpload } from "../../flows/watchUpload.js";
import type { UploadEvent } from "../../progress/UploadEvent.js";
import { uploadIdArgument } from "../checkArguments.js";
import { requireViewer } from "../context.js";
import type { SubscriptionResolvers } from "../generated/resolvers.js";

export const Subscription: SubscriptionResolvers = {
  uploadProgress: {
    subscribe(_parent, { uploadId }, context) {
      const viewer = requireViewer(context);
      return watchUpload(context, viewer.id, uploadIdArgument(uploadId));
    },
    resolve: (event: UploadEvent) => event,
  },
};
