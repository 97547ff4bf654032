import { forgetExpired } from "../db/expiredImageQueries.js";
import { claimExpired, findDeleted } from "../db/imageQueries.js";
import { forgetUploadClaims } from "../db/uploadClaimQueries.js";
import type { SingleRunnerResult } from "../db/withSingleRunner.js";
import { cleanPendingFiles } from "./fileIntents.js";
import { removeImage } from "./removeImages.js";
import type { StagingDeps } from "./StagingDeps.js";

/** How long an expired staged image's id still answers STAGED_IMAGE_EXPIRED: a week. */
const EXPIRY_MEMORY_MS = 7 * 24 * 60 * 60 * 1000;
/** How long an uploadId stays its first user's: a day (an upload and its late subscribers are long over). */
const CLAIM_MEMORY_MS = 24 * 60 * 60 * 1000;

export interface SweepResult {
  readonly removed: number;
  /** True when another instance was sweeping, so this one did not. */
  readonly skipped: boolean;
}

/** Runs a pass unless another instance is running one (see withSingleRunner). */
export type Exclusive = <T>(run: () => Promise<T>) => Promise<SingleRunnerResult<T>>;

export interface Sweeper {
  /** One pass: claims expired staged images, removes every DELETED image's files and rows, and cleans up abandoned pending files. */
  sweep(): Promise<SweepResult>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Removes expired staged images and finishes deletions that were interrupted.
 * Runs every `intervalSeconds` once started, on one instance at a time
 * (`exclusive`); `stop()` waits for a running pass.
 */
export function createSweeper(
  deps: StagingDeps,
  options: {
    intervalSeconds: number;
    batchSize?: number;
    exclusive: Exclusive;
    /** More to remove in each pass (incomplete resumable uploads past their TTL): returns how many it removed. */
    alsoSweep?: (now: Date) => Promise<number>;
    /** Told how each pass went: its result, or the error it failed with. */
    onSweep?: (result: SweepResult | Error) => void;
  },
): Sweeper {
  const batchSize = options.batchSize ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function sweep(): Promise<SweepResult> {
    const pass = await options.exclusive(sweepOnce);
    const result = pass.ran ? { removed: pass.result, skipped: false } : { removed: 0, skipped: true };
    options.onSweep?.(result);
    return result;
  }

  async function sweepOnce(): Promise<number> {
    let removed = 0;
    for (;;) {
      await claimExpired(deps.knex, deps.now(), batchSize);
      const batch = await findDeleted(deps.knex, batchSize);
      for (const image of batch) {
        await removeImage(deps, image);
        removed += 1;
      }
      if (batch.length < batchSize) break;
    }
    if (removed > 0) deps.log.info({ removed }, "sweeper removed images");
    if (options.alsoSweep) removed += await options.alsoSweep(deps.now());
    // Files a crash left without rows (the intent log), and deletes that failed before.
    await cleanPendingFiles(deps);
    const now = deps.now().getTime();
    await forgetExpired(deps.knex, new Date(now - EXPIRY_MEMORY_MS));
    await forgetUploadClaims(deps.knex, new Date(now - CLAIM_MEMORY_MS), new Date(now));
    return removed;
  }

  function tick(): void {
    if (running !== undefined) return;
    running = sweep()
      .catch((error: unknown) => {
        deps.log.error({ err: error }, "sweep failed");
        options.onSweep?.(error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => {
        running = undefined;
      });
  }

  return {
    sweep,
    start() {
      if (timer) return;
      timer = setInterval(tick, options.intervalSeconds * 1000);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
