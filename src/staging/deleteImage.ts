import { findImage, lockImage, markDeleted } from "../db/imageQueries.js";
import { deletePhotoRow, findPhotoOfImage } from "../db/photoQueries.js";
import { clearAvatar, lockUser } from "../db/userQueries.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { removeDeletedImage } from "./removeImage.js";
import type { StagingDeps } from "./StagingDeps.js";

/**
 * An admin's delete: takes the image off wherever it is used (an avatar, a
 * photo: the owner's later photos move up) and marks it DELETED in one
 * transaction; its files go after it commits, those no other row names.
 * @throws UpstageError NOT_FOUND (no such image, or already deleted).
 */
export async function deleteImage(deps: StagingDeps, id: string): Promise<true> {
  const notFound = () => new UpstageError(ErrorCode.NotFound, `No image with id ${id}.`);
  const seen = await findImage(deps.knex, id);
  if (!seen || seen.status === "DELETED") throw notFound();
  await deps.knex.transaction(async (trx) => {
    // The owner first, then the image: the order every other change takes.
    await lockUser(trx, seen.owner_id);
    const image = await lockImage(trx, id);
    if (!image || image.status === "DELETED") throw notFound();
    const photo = await findPhotoOfImage(trx, id);
    if (photo) await deletePhotoRow(trx, photo);
    await clearAvatar(trx, id);
    await markDeleted(trx, id);
  });
  await removeDeletedImage(deps, id);
  return true;
}
