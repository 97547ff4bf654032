import type { Readable } from "node:stream";
import { type ChainRun, startChainRun } from "./runUploadChain.js";
import type { UploadContext, UploadHandler } from "./UploadHandler.js";

/** What it takes to make a resumable upload's chain again: fresh handlers, its context, and its stored bytes from the start. */
export interface ChainSource {
  readonly handlers: readonly UploadHandler[];
  readonly upload: UploadContext;
  readStored(): Readable;
}

/**
 * The handler chains of resumable uploads, one per upload, kept in memory
 * between its requests. A chain that has seen exactly the stored bytes goes
 * on; any other (none here after a restart or on another instance, or one
 * that saw bytes a cut request did not store) is rebuilt: its handlers
 * `resume`, and the stored bytes are replayed through them.
 */
export function createResumableChains() {
  const runs = new Map<string, ChainRun>();

  return {
    /** A new upload's chain: `start` runs on each handler (a refusal refuses the creation). */
    async begin(id: string, source: Omit<ChainSource, "readStored">): Promise<void> {
      runs.set(id, await startChainRun(source.handlers, source.upload));
    },

    /** The upload's chain with `offset` bytes stored: the one kept, or a rebuilt one. */
    async at(id: string, offset: number, rebuild: () => ChainSource): Promise<ChainRun> {
      const kept = runs.get(id);
      if (kept && kept.upload.bytesSeen === offset) return kept;
      runs.delete(id);
      const source = rebuild();
      const run = await startChainRun(source.handlers, source.upload, { resume: true });
      if (offset > 0) {
        for await (const chunk of source.readStored() as AsyncIterable<Buffer>) {
          await run.push(chunk.subarray(0, offset - run.upload.bytesSeen));
          if (run.upload.bytesSeen >= offset) break;
        }
        if (run.upload.bytesSeen !== offset) {
          await run.abort(new Error("short store"));
          throw new Error(`The store holds ${run.upload.bytesSeen} bytes of upload ${id}, not the ${offset} its offset says.`);
        }
      }
      runs.set(id, run);
      return run;
    },

    /** Lets go of the upload's chain once it has completed. */
    drop(id: string): void {
      runs.delete(id);
    },

    /** The upload ended short of completing (refused, terminated, expired): the kept chain's handlers `abort`. */
    async end(id: string, why: unknown): Promise<void> {
      const run = runs.get(id);
      runs.delete(id);
      await run?.abort(why);
    },
  };
}

export type ResumableChains = ReturnType<typeof createResumableChains>;
