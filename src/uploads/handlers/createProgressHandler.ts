import type { UploadHandler } from "../UploadHandler.js";

/**
 * Publishes RECEIVING events for uploads that asked for progress. It counts
 * the request body as read from the network (the meter), not the chain's
 * chunks, so framing and buffering do not skew the bar.
 */
export function createProgressHandler(): UploadHandler {
  let stop: (() => void) | undefined;
  return {
    name: "progress",
    start(upload) {
      stop = upload.progress?.trackReceiving();
    },
    complete() {
      stop?.();
    },
    abort() {
      stop?.();
    },
  };
}
