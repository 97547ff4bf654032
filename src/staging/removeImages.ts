// Images going: a staged one discarded by its owner, any one deleted by an
// admin, and the removal of an image's rows and the files no other row names.

import { findImage, listThumbnails, lockImage, markDeleted, removeImageRow } from "../db/imageQueries.js";
import { deletePhotoRow, findPhotoOfImage } from "../db/photoQueries.js";
import type { ImageRow } from "../db/rows.js";
import { clearAvatar, lockUser } from "../db/userQueries.js";
import { refusals } from "../errors/refusals.js";
import { findOwnImage } from "./access.js";
import { removeUnnamedFiles } from "./fileIntents.js";
import type { StagingDeps } from "./StagingDeps.js";

/**
 * Throws a staged image of the viewer's away with its files.
 * @returns true when it was discarded.
 * @throws UpstageError NOT_FOUND, FORBIDDEN, BAD_USER_INPUT (a committed image is not staged).
 */
export async function discardStagedImage(deps: StagingDeps, viewerId: string, id: string): Promise<boolean> {
  const image = await findOwnImage(deps.knex, viewerId, id);
  if (image.status !== "STAGED") {
    throw refusals.onlyStagedDiscarded();
  }
  // Conditional: a commit that won the race keeps its image.
  if (!(await markDeleted(deps.knex, id, ["STAGED"]))) {
    throw refusals.onlyStagedDiscarded();
  }
  await removeImage(deps, image);
  return true;
}

/**
 * An admin's delete: takes the image off wherever it is used (an avatar, a
 * photo: the owner's later photos move up) and marks it DELETED in one
 * transaction; its files go after it commits, those no other row names.
 * @throws UpstageError NOT_FOUND (no such image, or already deleted).
 */
export async function deleteImage(deps: StagingDeps, id: string): Promise<true> {
  const seen = await findImage(deps.knex, id);
  if (!seen || seen.status === "DELETED") throw refusals.noImage(id);
  await deps.knex.transaction(async (trx) => {
    // The owner first, then the image: the order every other change takes.
    await lockUser(trx, seen.owner_id);
    const image = await lockImage(trx, id);
    if (!image || image.status === "DELETED") throw refusals.noImage(id);
    const photo = await findPhotoOfImage(trx, id);
    if (photo) await deletePhotoRow(trx, photo);
    await clearAvatar(trx, id);
    await markDeleted(trx, id);
  });
  await removeDeletedImage(deps, id);
  return true;
}

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
