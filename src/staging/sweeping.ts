// What keeps rows and files in agreement over time: the sweeper's passes
// (expired and deleted images, what a crash left pending), and
// reconciliation (at start-up, and on the operator's command).
import { forgetExpired } from "../db/expiredImageQueries.js";
import {
  claimExpired,
  deleteThumbnails,
  findDeleted,
  keysWithRows,
  liveImagesAfter,
  markDeleted,
  stagedImageKeys,
  thumbnailsAfterKey,
} from "../db/imageQueries.js";
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

/**
 * At start: a staged image whose original is not in storage (lost with a
 * crashed disk or a hand-cleaned volume) is marked DELETED, so it is never
 * offered and the sweeper removes what is left of it.
 * Files are stored before their row is written, so a crash never leaves a row
 * ahead of its files by itself.
 * @returns how many images were marked.
 */
export async function reconcileStaged(deps: Pick<StagingDeps, "knex" | "storage">): Promise<number> {
  const staged = await stagedImageKeys(deps.knex);
  let marked = 0;
  for (const image of staged) {
    if (await deps.storage.stat(image.storage_key)) continue;
    if (await markDeleted(deps.knex, image.id, ["STAGED"])) marked += 1;
  }
  return marked;
}

export interface ReconcileOptions {
  /** A stored file without a row is left alone until it is this old: another instance may be about to write its row. */
  readonly graceMs: number;
  /** Report only; change nothing. */
  readonly dryRun: boolean;
}

export interface ReconcileReport {
  /** Stored files no row names, older than the grace period: removed (or, in a dry run, to be removed). */
  readonly orphanFiles: string[];
  /** Staged images whose original is gone: marked DELETED for the sweeper. */
  readonly stagedWithoutFile: string[];
  /** Committed images whose original is gone: reported, not changed (a person has to decide). */
  readonly committedWithoutFile: string[];
  /** Thumbnail rows whose file is gone: removed, so the next request makes them again. */
  readonly thumbnailsWithoutFile: number;
}

const BATCH = 500;

/**
 * Brings rows and stored files back in step after crashes or hand edits, in
 * both directions. Files are stored before their rows are written, so a file
 * younger than the grace period may be an upload in flight on another
 * instance and is never touched.
 */
export async function reconcileStorage(
  deps: Pick<StagingDeps, "knex" | "storage" | "now">,
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  const { knex, storage } = deps;
  const orphanFiles: string[] = [];
  const stagedWithoutFile: string[] = [];
  const committedWithoutFile: string[] = [];
  let thumbnailsWithoutFile = 0;

  // Rows without files.
  let after: string | undefined;
  for (;;) {
    const images = await liveImagesAfter(knex, after, BATCH);
    for (const image of images) {
      if (await storage.stat(image.storage_key)) continue;
      if (image.status === "STAGED") {
        stagedWithoutFile.push(image.id);
        if (!options.dryRun) await markDeleted(knex, image.id, ["STAGED"]);
      } else {
        committedWithoutFile.push(image.id);
      }
    }
    if (images.length < BATCH) break;
    after = images.at(-1)!.id;
  }
  let afterKey = "";
  for (;;) {
    const thumbnails = await thumbnailsAfterKey(knex, afterKey, BATCH);
    for (const thumbnail of thumbnails) {
      if (await storage.stat(thumbnail.storage_key)) continue;
      thumbnailsWithoutFile += 1;
      if (!options.dryRun) await deleteThumbnails(knex, thumbnail.image_id, [thumbnail.variant]);
    }
    if (thumbnails.length < BATCH) break;
    afterKey = thumbnails.at(-1)!.storage_key;
  }

  // Files without rows.
  const cutoff = deps.now().getTime() - options.graceMs;
  let pending: string[] = [];
  const settle = async () => {
    const known = await keysWithRows(knex, pending);
    for (const key of pending) {
      if (known.has(key)) continue;
      orphanFiles.push(key);
      if (!options.dryRun) await storage.delete(key);
    }
    pending = [];
  };
  for await (const object of storage.list()) {
    if (object.modifiedAt.getTime() > cutoff) continue;
    pending.push(object.key);
    if (pending.length >= BATCH) await settle();
  }
  if (pending.length > 0) await settle();
  return { orphanFiles, stagedWithoutFile, committedWithoutFile, thumbnailsWithoutFile };
}
