import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import type { Scratch } from "../../storage/createScratch.js";
import type { UploadHandler } from "../UploadHandler.js";

/** Up to this much is buffered while a write is on its way; the next write takes it all at once (writev). */
const WRITE_BUFFER_BYTES = 1024 * 1024;

/**
 * Writes the file to a new scratch file (exclusive create). Chunks are
 * buffered by the write stream and the chain waits only when it is full, so
 * the disk sets the pace without a round trip per chunk. On completion the
 * file is closed and `results.file` set; on abort the partial file is
 * removed. It is not fsynced: a scratch file only feeds staging, whose
 * outputs the storage makes durable, and a crash loses the upload either way
 * (start-up clears the scratch directory). A rebuilt chain (`resume`) starts
 * its file anew: every byte is replayed through it.
 */
export function createStoreHandler(options: { scratch: Scratch }): UploadHandler {
  const path = options.scratch.newPath();
  let out: WriteStream | undefined;
  let failed: Error | undefined;
  async function open(): Promise<void> {
    out = createWriteStream(path, { flags: "wx", mode: 0o600, highWaterMark: WRITE_BUFFER_BYTES });
    out.on("error", (error) => (failed = error));
    await once(out, "open");
  }
  return {
    name: "store",
    start: open,
    // A rebuilt chain gets every byte from the first: its file starts anew.
    resume: open,
    chunk(data) {
      if (failed) throw failed;
      if (!out!.write(data)) return once(out!, "drain").then(() => undefined);
    },
    async complete(upload) {
      out!.end();
      await once(out!, "close");
      if (failed) throw failed;
      upload.results.file = path;
    },
    async abort() {
      out?.destroy();
      if (out && !out.closed) await once(out, "close").catch(() => {});
      await options.scratch.remove(path);
    },
  };
}
