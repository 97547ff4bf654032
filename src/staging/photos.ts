// A user's photos: committed as photos in one transaction, captioned,
// moved, deleted; each change under the owner's lock.

import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import { findImage, findImages, markCommitted, markDeleted } from "../db/imageQueries.js";
import { countPhotos, deletePhotoRow, findPhoto, insertPhotos, movePhoto, updateCaption } from "../db/photoQueries.js";
import type { PhotoWithImage } from "../db/rows.js";
import { lockUser } from "../db/userQueries.js";
import { refusals } from "../errors/refusals.js";
import { checkCommittable, findOwnImage, isOwnedBy } from "./access.js";
import { removeUnnamedFiles } from "./fileIntents.js";
import { abandonPrepared, applyFraming, type FocalPointInput, type PreparedFraming, prepareFraming } from "./framing.js";
import { removeDeletedImage } from "./removeImages.js";
import type { StagingDeps } from "./StagingDeps.js";

export interface NewPhoto {
  readonly stagedImageId: string;
  readonly caption?: string | null | undefined;
  /** The point its COVER renditions centre on; left out, the automatic one. */
  readonly focalPoint?: FocalPointInput | null | undefined;
}

/** The most photos one addPhotos adds. */
const MAX_PHOTOS_PER_CALL = 100;
/** The longest caption. */
export const MAX_CAPTION_LENGTH = 500;

/**
 * Commits staged images of the viewer's as photos, appended to the end of
 * their list in the order given, in one transaction: all or none. The presets
 * of those given a focal point are rendered around it first, and put in place
 * in the transaction.
 * @throws UpstageError NOT_FOUND, FORBIDDEN (another user's), STAGED_IMAGE_EXPIRED,
 * BAD_USER_INPUT (the same image twice, one already committed, too many at once, a point outside 0..1),
 * QUOTA_EXCEEDED (past MAX_PHOTOS_PER_USER).
 */
export async function addPhotos(deps: StagingDeps, viewerId: string, photos: readonly NewPhoto[]): Promise<PhotoWithImage[]> {
  if (photos.length > MAX_PHOTOS_PER_CALL) {
    throw refusals.tooManyPhotosAtOnce(MAX_PHOTOS_PER_CALL, photos.length);
  }
  const ids = photos.map((p) => p.stagedImageId);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw refusals.photoListedTwice(repeated);
  if (photos.length === 0) return [];
  const now = deps.now();
  const prepared = await prepareFramings(deps, viewerId, photos, now);
  let added: { photos: PhotoWithImage[]; reframed: string[] };
  try {
    added = await savePhotos(deps, viewerId, photos, now, prepared);
  } catch (error) {
    await abandonPrepared(deps, prepared);
    throw error;
  }
  await removeUnnamedFiles(deps, added.reframed).catch((error: unknown) =>
    deps.log.warn({ err: error }, "reframed thumbnails left in storage"),
  );
  return added.photos;
}

/** The presets of each photo given a focal point, rendered and stored before the transaction. */
async function prepareFramings(deps: StagingDeps, viewerId: string, photos: readonly NewPhoto[], now: Date): Promise<PreparedFraming[]> {
  const prepared: PreparedFraming[] = [];
  try {
    for (const photo of photos) {
      if (!photo.focalPoint) continue;
      const image = await findOwnImage(deps.knex, viewerId, photo.stagedImageId);
      checkCommittable(image, now);
      const framing = await prepareFraming(deps, image, { focalPoint: photo.focalPoint });
      if (framing) prepared.push(framing);
    }
  } catch (error) {
    await abandonPrepared(deps, prepared);
    throw error;
  }
  return prepared;
}

async function savePhotos(
  deps: StagingDeps,
  viewerId: string,
  photos: readonly NewPhoto[],
  now: Date,
  prepared: readonly PreparedFraming[],
): Promise<{ photos: PhotoWithImage[]; reframed: string[] }> {
  const ids = photos.map((p) => p.stagedImageId);
  const max = deps.options.maxPhotosPerUser;
  return deps.knex.transaction(async (trx) => {
    // The owner's lock orders every change to their list (and to their images, locked after it).
    if (!(await lockUser(trx, viewerId))) throw refusals.userGone();
    const count = await countPhotos(trx, viewerId);
    if (count + photos.length > max) {
      throw refusals.tooManyPhotos(count, photos.length, max);
    }
    for (const id of ids) checkCommittable(await findOwnImage(trx, viewerId, id), now);
    for (const id of ids) await markCommitted(trx, id);
    const reframed: string[] = [];
    for (const framing of prepared) reframed.push(...(await applyFraming(trx, framing)));
    const rows = await insertPhotos(
      trx,
      photos.map((photo, i) => ({
        id: randomUUID(),
        owner_id: viewerId,
        image_id: photo.stagedImageId,
        caption: photo.caption ?? null,
        position: count + i,
      })),
    );
    const images = new Map((await findImages(trx, ids)).map((image) => [image.id, image]));
    return { photos: rows.map((row) => ({ ...row, image: images.get(row.image_id)! })), reframed };
  });
}

export interface PhotoChanges {
  /** undefined leaves it; null clears it. */
  readonly caption?: string | null | undefined;
  /** The new 0-based place; the photos in between shift by one. */
  readonly position?: number | null | undefined;
  /** undefined leaves it; null goes back to the automatic point. */
  readonly focalPoint?: FocalPointInput | null | undefined;
}

/**
 * Changes a photo's caption, moves it to another place in its owner's list,
 * or sets its image's focal point (the presets are rendered around the new
 * point first and put in place in the transaction; the old COVER renditions go).
 * @throws UpstageError NOT_FOUND, FORBIDDEN, BAD_USER_INPUT (a position outside the list, a point outside 0..1).
 */
export async function updatePhoto(deps: StagingDeps, viewerId: string, id: string, changes: PhotoChanges): Promise<PhotoWithImage> {
  const prepared = changes.focalPoint !== undefined ? await prepareFocus(deps, viewerId, id, changes.focalPoint) : undefined;
  let updated: { photo: PhotoWithImage; reframed: string[] };
  try {
    updated = await savePhoto(deps, viewerId, id, changes, prepared);
  } catch (error) {
    if (prepared) await abandonPrepared(deps, [prepared]);
    throw error;
  }
  await removeUnnamedFiles(deps, updated.reframed).catch((error: unknown) =>
    deps.log.warn({ err: error }, "reframed thumbnails left in storage"),
  );
  return updated.photo;
}

async function prepareFocus(
  deps: StagingDeps,
  viewerId: string,
  id: string,
  focalPoint: FocalPointInput | null,
): Promise<PreparedFraming | undefined> {
  const photo = await deps.knex.transaction((trx) => findOwnPhoto(trx, viewerId, id));
  return prepareFraming(deps, photo.image, { focalPoint });
}

function savePhoto(
  deps: StagingDeps,
  viewerId: string,
  id: string,
  changes: PhotoChanges,
  prepared: PreparedFraming | undefined,
): Promise<{ photo: PhotoWithImage; reframed: string[] }> {
  return deps.knex.transaction(async (trx) => {
    const photo = await findOwnPhoto(trx, viewerId, id);
    let { caption, position } = photo;
    if (changes.caption !== undefined) {
      caption = changes.caption;
      await updateCaption(trx, id, caption);
    }
    if (changes.position != null && changes.position !== photo.position) {
      const count = await countPhotos(trx, viewerId);
      if (!Number.isInteger(changes.position) || changes.position < 0 || changes.position >= count) {
        throw refusals.badPosition(count, changes.position);
      }
      position = changes.position;
      await movePhoto(trx, photo, photo.position, position);
    }
    const reframed = prepared ? await applyFraming(trx, prepared) : [];
    const image = prepared ? (await findImage(trx, photo.image_id))! : photo.image;
    return { photo: { ...photo, caption, position, image }, reframed };
  });
}

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

/**
 * The viewer's photo `id`, read under its owner's lock (held until the
 * transaction ends), so its position is current.
 * @throws UpstageError NOT_FOUND, FORBIDDEN (someone else's).
 */
async function findOwnPhoto(trx: Knex.Transaction, viewerId: string, id: string): Promise<PhotoWithImage> {
  const seen = await findPhoto(trx, id);
  if (!seen) throw refusals.noPhoto(id);
  if (!isOwnedBy(seen, viewerId)) throw refusals.photoOfAnother();
  await lockUser(trx, viewerId);
  const photo = await findPhoto(trx, id);
  const image = photo && (await findImage(trx, photo.image_id));
  if (!photo || !image) throw refusals.noPhoto(id);
  return { ...photo, image };
}
