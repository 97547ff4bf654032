import { randomUUID } from "node:crypto";
import { findImages, markCommitted } from "../db/imageQueries.js";
import { countPhotos, insertPhotos } from "../db/photoQueries.js";
import type { PhotoWithImage } from "../db/rows.js";
import { lockUser } from "../db/userQueries.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { checkCommittable } from "./checkCommittable.js";
import { findOwnImage } from "./findOwnImage.js";
import type { StagingDeps } from "./StagingDeps.js";

export interface NewPhoto {
  readonly stagedImageId: string;
  readonly caption?: string | null | undefined;
}

/** The most photos one addPhotos adds. */
export const MAX_PHOTOS_PER_CALL = 100;
/** The longest caption. */
export const MAX_CAPTION_LENGTH = 500;

/**
 * Commits staged images of the viewer's as photos, appended to the end of
 * their list in the order given, in one transaction: all or none.
 * @throws UpstageError NOT_FOUND, FORBIDDEN (another user's), STAGED_IMAGE_EXPIRED,
 * BAD_USER_INPUT (the same image twice, one already committed, too many at once),
 * QUOTA_EXCEEDED (past MAX_PHOTOS_PER_USER).
 */
export async function addPhotos(deps: StagingDeps, viewerId: string, photos: readonly NewPhoto[]): Promise<PhotoWithImage[]> {
  if (photos.length > MAX_PHOTOS_PER_CALL) {
    throw new UpstageError(ErrorCode.BadUserInput, `Expected at most ${MAX_PHOTOS_PER_CALL} photos in one addPhotos but received ${photos.length}.`);
  }
  const ids = photos.map((p) => p.stagedImageId);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw new UpstageError(ErrorCode.BadUserInput, `Staged image ${repeated} is listed twice; each becomes one photo.`);
  if (photos.length === 0) return [];
  const now = deps.now();
  const max = deps.options.maxPhotosPerUser;
  return deps.knex.transaction(async (trx) => {
    // The owner's lock orders every change to their list (and to their images, locked after it).
    if (!(await lockUser(trx, viewerId))) throw new UpstageError(ErrorCode.Unauthenticated, "The signed-in user no longer exists.");
    const count = await countPhotos(trx, viewerId);
    if (count + photos.length > max) {
      throw new UpstageError(ErrorCode.QuotaExceeded, `You have ${count} photos; adding ${photos.length} would pass the limit of ${max}. Delete some first.`);
    }
    for (const id of ids) checkCommittable(await findOwnImage(trx, viewerId, id), now);
    for (const id of ids) await markCommitted(trx, id);
    const rows = await insertPhotos(
      trx,
      photos.map((photo, i) => ({ id: randomUUID(), owner_id: viewerId, image_id: photo.stagedImageId, caption: photo.caption ?? null, position: count + i })),
    );
    const images = new Map((await findImages(trx, ids)).map((image) => [image.id, image]));
    return rows.map((row) => ({ ...row, image: images.get(row.image_id)! }));
  });
}
