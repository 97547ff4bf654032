// Rows and files brought back into agreement: at start-up, staged rows whose
// files a crash lost; on the operator's command, the whole storage.
import { deleteThumbnails, keysWithRows, liveImagesAfter, markDeleted, stagedImageKeys, thumbnailsAfterKey } from "../db/imageQueries.js";
import type { StagingDeps } from "./StagingDeps.js";

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
