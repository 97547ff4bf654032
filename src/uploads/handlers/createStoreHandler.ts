import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import type { Scratch } from "../../storage/createScratch.js";
import type { UploadHandler } from "../UploadHandler.js";

/**
 * Writes the file to a new scratch file (exclusive create). Chunks are
 * buffered by the write stream and the chain waits only when it is full, so
 * the disk sets the pace without a round trip per chunk. On completion the
 * file is fsynced and closed, and `results.file` set; on abort the partial
 * file is removed.
 */
export function createStoreHandler(options: { scratch: Scratch }): UploadHandler {
  const path = options.scratch.newPath();
  let out: WriteStream | undefined;
  let failed: Error | undefined;
  return {
    name: "store",
    async start() {
      // `flush`: fsync before the descriptor is closed.
      out = createWriteStream(path, { flags: "wx", mode: 0o600, flush: true });
      out.on("error", (error) => (failed = error));
      await once(out, "open");
    },
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
