import type { ImageRow } from "../db/rows.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";

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
    throw new UpstageError(ErrorCode.Forbidden, "Only the image's owner and admins see who uploaded it, its status and when.");
  }
}

/** Whether the user owns the thing (an image, a photo, a resumable upload): only they may change it. */
export function isOwnedBy(thing: { readonly owner_id: string }, userId: string): boolean {
  return thing.owner_id === userId;
}
