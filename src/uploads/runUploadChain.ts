import type { Readable } from "node:stream";
import type { UploadContext, UploadHandler } from "./UploadHandler.js";

/**
 * Opens a file's bytes and feeds them through `handlers` in order. The next chunk is read only
 * when every handler is done with the last one, so a slow handler (or disk)
 * slows the read and nothing piles up in memory. On any error the source is
 * destroyed at once and `abort` runs on each started handler, last first;
 * the error is then rethrown.
 */
export async function runUploadChain(open: () => Readable, handlers: readonly UploadHandler[], upload: UploadContext): Promise<void> {
  const started: UploadHandler[] = [];
  let source: Readable | undefined;
  try {
    source = open();
    for (const handler of handlers) {
      started.push(handler);
      await handler.start?.(upload);
    }
    for await (const chunk of source as AsyncIterable<Buffer>) {
      upload.bytesSeen += chunk.length;
      let data = chunk;
      for (const handler of handlers) {
        if (!handler.chunk) continue;
        const result = handler.chunk(data, upload);
        const replaced = result instanceof Promise ? await result : result;
        if (replaced) data = replaced;
      }
    }
    for (const handler of handlers) await handler.complete?.(upload);
  } catch (error) {
    source?.destroy();
    for (const handler of started.reverse()) {
      try {
        await handler.abort?.(upload, error);
      } catch {
        // One handler's failed cleanup must not keep the others from theirs.
      }
    }
    throw error;
  }
}
