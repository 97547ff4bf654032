import type { Readable } from "node:stream";
import type { UploadContext, UploadHandler } from "./UploadHandler.js";

/** One upload's pass through its handlers, driven by whichever door carries its bytes. */
export interface ChainRun {
  readonly upload: UploadContext;
  /**
   * Passes one chunk through every handler in order and resolves with the
   * chunk as the last handler left it. On a refusal or failure every started
   * handler's `abort` has run (last first) before the error is rethrown, and
   * the run is spent.
   */
  push(chunk: Buffer): Promise<Buffer>;
  /** After the last byte: each handler's `complete`, in order (a failure aborts as `push` does). */
  complete(): Promise<void>;
  /** Ends the run from outside (the client left, the door refused): `abort` on each started handler, last first. */
  abort(why: unknown): Promise<void>;
}

/**
 * The one chain runner. Starts an upload's handlers in order (`start`, or
 * `resume` for a resumable upload whose chain is rebuilt) and returns the run
 * its door feeds. A handler's own failure in `abort` never keeps the others
 * from theirs.
 */
export async function startChainRun(
  handlers: readonly UploadHandler[],
  upload: UploadContext,
  how: { resume?: boolean } = {},
): Promise<ChainRun> {
  const started: UploadHandler[] = [];
  let spent = false;

  async function abort(why: unknown): Promise<void> {
    if (spent) return;
    spent = true;
    for (const handler of [...started].reverse()) {
      try {
        await handler.abort?.(upload, why);
      } catch {
        // One handler's failed cleanup must not keep the others from theirs.
      }
    }
  }

  async function guarded<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      await abort(error);
      throw error;
    }
  }

  await guarded(async () => {
    for (const handler of handlers) {
      started.push(handler);
      await (how.resume ? handler.resume?.(upload) : handler.start?.(upload));
    }
  });

  return {
    upload,
    push: (chunk) =>
      guarded(async () => {
        upload.bytesSeen += chunk.length;
        let data = chunk;
        for (const handler of handlers) {
          if (!handler.chunk) continue;
          const result = handler.chunk(data, upload);
          const replaced = result instanceof Promise ? await result : result;
          if (replaced) data = replaced;
        }
        return data;
      }),
    complete: () =>
      guarded(async () => {
        for (const handler of handlers) await handler.complete?.(upload);
        spent = true;
      }),
    abort,
  };
}

/**
 * Opens a file's bytes and feeds them through `handlers` in order (the
 * driver of the runner for a door that reads a whole file: multipart, and
 * a direct upload's read-back, whose chain is resumed: it started at creation). The next chunk is read only when
 * every handler is done with the last one, so a slow handler (or disk) slows
 * the read and nothing piles up in memory. On any error the source is
 * destroyed at once and `abort` runs on each started handler, last first;
 * the error is then rethrown.
 */
export async function runUploadChain(
  open: () => Readable,
  handlers: readonly UploadHandler[],
  upload: UploadContext,
  how: { resume?: boolean } = {},
): Promise<void> {
  let source: Readable | undefined;
  let run: ChainRun | undefined;
  try {
    source = open();
    run = await startChainRun(handlers, upload, how);
    for await (const chunk of source as AsyncIterable<Buffer>) await run.push(chunk);
    await run.complete();
  } catch (error) {
    source?.destroy();
    await run?.abort(error);
    throw error;
  }
}
