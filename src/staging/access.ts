import type { Knex } from "knex";
import { hasExpired } from "../db/expiredImageQueries.js";
import { findImage, lockImage } from "../db/imageQueries.js";
import type { ImageRow } from "../db/rows.js";
import { refusals } from "../errors/refusals.js";

/**
 * The signed-in user, by id only (their row is read where it is needed, so it
 * is never stale), and whether their token makes them an admin.
 */
export interface Viewer {
  readonly id: string;
  readonly isAdmin: boolean;
}

/**
 * Who may see and change what: every read and every change asks here.
 * - A committed image (an avatar, a photo) is visible to every signed-in user;
 *   a staged one to its owner and the admins; a deleted one to nobody.
 * - An image's details (`owner`, `status`, `createdAt`) are its owner's and
 *   the admins'; anyone else asking is FORBIDDEN (the fields are non-null, so
 *   null is not an answer).
 * - Only its owner changes an image, a photo or a resumable upload; the
 *   admins delete images (deleteImage), which is not a change of ownership.
 */
export function isVisibleTo(image: ImageRow, viewer: Viewer): boolean {
  switch (image.status) {
    case "COMMITTED":
      return true;
    case "STAGED":
      return isOwnedBy(image, viewer.id) || viewer.isAdmin;
    case "DELETED":
      return false;
  }
}

/**
 * That the viewer may read the image's details.
 * @throws UpstageError FORBIDDEN for anyone but the owner and the admins.
 */
export function checkMayInspect(image: ImageRow, viewer: Viewer): void {
  if (!isOwnedBy(image, viewer.id) && !viewer.isAdmin) {
    throw refusals.imageDetailsOwnerOnly();
  }
}

/** Whether the user owns the thing (an image, a photo, a resumable upload): only they may change it. */
export function isOwnedBy(thing: { readonly owner_id: string }, userId: string): boolean {
  return thing.owner_id === userId;
}

/**
 * The image `id` if the viewer owns it and it is not deleted; with a
 * transaction, its row is locked until the transaction ends.
 * @throws UpstageError STAGED_IMAGE_EXPIRED (the viewer's, expired, even once the sweeper removed it), NOT_FOUND
 *   (no such image, or deleted), FORBIDDEN (someone else's).
 */
export async function findOwnImage(db: Knex, viewerId: string, id: string): Promise<ImageRow> {
  const image = isTransaction(db) ? await lockImage(db, id) : await findImage(db, id);
  if (!image || image.status === "DELETED") {
    // The sweeper may have removed it already; its expiry is remembered for a while.
    if (await hasExpired(db, viewerId, id)) throw refusals.stagedImageExpired();
    throw refusals.noImage(id);
  }
  if (!isOwnedBy(image, viewerId)) {
    throw refusals.imageOfAnother();
  }
  return image;
}

function isTransaction(db: Knex): db is Knex.Transaction {
  return (db as Knex.Transaction).isTransaction === true;
}

/**
 * That an image of the viewer's may be committed now (as an avatar or a photo): it is staged and has not expired.
 * @throws UpstageError STAGED_IMAGE_EXPIRED, BAD_USER_INPUT (already committed: an avatar's or a photo's), NOT_FOUND (deleted).
 */
export function checkCommittable(image: ImageRow, now: Date): void {
  switch (image.status) {
    case "STAGED":
      if (image.expires_at && image.expires_at.getTime() <= now.getTime()) {
        throw refusals.stagedImageExpired();
      }
      return;
    case "COMMITTED":
      throw refusals.alreadyCommitted(image.id);
    case "DELETED":
      throw refusals.noImage(image.id);
  }
}
