import type { Scratch } from "../../storage/createScratch.js";
import type { UploadHandler } from "../UploadHandler.js";

/**
 * The `store` step of a door whose data store keeps the bytes already (tus):
 * once the last byte is in, the stored file is linked (or copied) into a new
 * scratch file for staging, and `results.file` set; an abort removes that
 * copy. It takes the place `store` has in UPLOAD_HANDLERS, so the handlers
 * after it see `results.file` at `complete` as they do over multipart.
 */
export function createStoredFileHandler(options: { scratch: Scratch; copyTo(path: string): Promise<void> }): UploadHandler {
  let path: string | undefined;
  return {
    name: "store",
    async complete(upload) {
      path = options.scratch.newPath();
      await options.copyTo(path);
      upload.results.file = path;
    },
    async abort() {
      if (path !== undefined) await options.scratch.remove(path);
    },
  };
}
