import { markDeleted } from "../db/imageQueries.js";
import { deletePhotoRow } from "../db/photoQueries.js";
import { findOwnPhoto } from "./findOwnPhoto.js";
import { removeDeletedImage } from "./removeImage.js";
import type { StagingDeps } from "./StagingDeps.js";

/**
 * Removes the viewer's photo (the photos after it move up) and marks its
 * image DELETED in one transaction; the image's files go after it commits,
 * those that no other row names (dedupe shares them).
 * @throws UpstageError NOT_FOUND, FORBIDDEN.
 */
export async function deletePhoto(deps: StagingDeps, viewerId: string, id: string): Promise<true> {
  const imageId = await deps.knex.transaction(async (trx) => {
    const photo = await findOwnPhoto(trx, viewerId, id);
    await deletePhotoRow(trx, photo);
    await markDeleted(trx, photo.image_id);
    return photo.image_id;
  });
  await removeDeletedImage(deps, imageId);
  return true;
}
