import { findImage, listThumbnails, removeImageRow } from "../db/imageQueries.js";
import type { ImageRow } from "../db/rows.js";
import { removeUnnamedFiles } from "./removeUnnamedFiles.js";
import type { StagingDeps } from "./StagingDeps.js";

/**
 * Removes a DELETED image for good: its files first, then its rows (thumbnail
 * rows cascade). Files that another live row still names (dedupe shares them)
 * stay: they are counted, not owned. If the process dies in between, the row
 * is still DELETED and the sweeper finishes the job.
 */
export async function removeImage(deps: Pick<StagingDeps, "knex" | "storage">, image: Pick<ImageRow, "id" | "storage_key">): Promise<void> {
  const thumbnails = await listThumbnails(deps.knex, image.id);
  await removeUnnamedFiles(deps, [image.storage_key, ...thumbnails.map((t) => t.storage_key)], image.id);
  await removeImageRow(deps.knex, image.id);
}

/**
 * After the transaction that marked it DELETED: removes the image's files and
 * row. Best effort: if it fails, the row stays DELETED and the sweeper
 * finishes the job.
 */
export async function removeDeletedImage(deps: Pick<StagingDeps, "knex" | "storage" | "log">, imageId: string): Promise<void> {
  try {
    const image = await findImage(deps.knex, imageId);
    if (image?.status === "DELETED") await removeImage(deps, image);
  } catch (error) {
    deps.log.warn({ err: error, imageId }, "deleted image's files left for the sweeper");
  }
}
