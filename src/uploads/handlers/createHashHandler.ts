import { createHash } from "node:crypto";
import type { UploadHandler } from "../UploadHandler.js";

/** Computes the sha256 of the file's bytes as they pass; sets `results.sha256`. */
export function createHashHandler(): UploadHandler {
  const hash = createHash("sha256");
  return {
    name: "hash",
    chunk(data) {
      hash.update(data);
    },
    complete(upload) {
      upload.results.sha256 = hash.digest("hex");
    },
  };
}
