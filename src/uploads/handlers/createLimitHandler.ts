import { refusals } from "../../errors/refusals.js";
import type { UploadHandler } from "../UploadHandler.js";

/** Refuses a file with FILE_TOO_LARGE as soon as it crosses `maxFileSize` bytes. */
export function createLimitHandler(options: { maxFileSize: number }): UploadHandler {
  return {
    name: "limit",
    chunk(_data, upload) {
      if (upload.bytesSeen > options.maxFileSize) {
        throw refusals.fileTooLarge(options.maxFileSize);
      }
    },
    complete(upload) {
      if (upload.bytesSeen === 0) throw refusals.emptyFile();
    },
  };
}
