import type { Readable } from "node:stream";
import type { ReceivedFile } from "../storage/ReceivedFile.js";
import { runUploadChain } from "./runUploadChain.js";
import { sanitizeFilename } from "./sanitizeFilename.js";
import type { UploadContext, UploadHandler } from "./UploadHandler.js";

/** A file as a transport hands it over: its name as sent, and its bytes for one reader. */
export interface IncomingFile {
  readonly filename: string;
  createReadStream(): Readable;
}

/**
 * Intake's one entry point: waits for the file's part, streams it through the
 * handler chain, and returns what staging needs (the scratch file, its size,
 * its sha256 and the sanitized filename). On any failure every started
 * handler has cleaned up (no scratch file is left) and the error is rethrown:
 * an UpstageError with its contract code, or an UploadAbortedError when the
 * client went away.
 */
export async function receiveUpload(
  file: Promise<IncomingFile>,
  handlers: readonly UploadHandler[],
  who: { readonly userId: string; readonly uploadId: string | null },
): Promise<ReceivedFile> {
  const incoming = await file;
  const upload: UploadContext = { ...who, filename: incoming.filename, bytesSeen: 0, reservedBytes: 0, results: {} };
  await runUploadChain(() => incoming.createReadStream(), handlers, upload);
  const { file: path, sha256 } = upload.results;
  // createHandlerChain insists on both.
  if (path === undefined || sha256 === undefined) throw new Error("The upload chain ran without its hash or store handler.");
  return { path, sha256, byteSize: upload.bytesSeen, filename: sanitizeFilename(incoming.filename) };
}
