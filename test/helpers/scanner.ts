// A byte scanner of the kind an antivirus hook is, registered as an application's upload handler.
import { ErrorCode, type UploadHandler, UpstageError } from "../../src/serverApi.js";

export const MARKER = Buffer.from("X5O!P%@AP-UPSTAGE-TEST-MARKER");
export const SCANNED = "A scanner found a marked file.";

/** Refuses a file holding MARKER, wherever the chunks split it. */
export const createScanner = (): UploadHandler => {
  let tail = Buffer.alloc(0);
  return {
    name: "scanner",
    chunk(data) {
      const window = Buffer.concat([tail, data]);
      if (window.includes(MARKER)) throw new UpstageError(ErrorCode.UnsupportedMediaType, SCANNED);
      tail = window.subarray(Math.max(0, window.length - (MARKER.length - 1)));
    },
  };
};
