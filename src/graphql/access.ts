import type { ImageRow } from "../db/rows.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import type { Viewer } from "./context.js";

/**
 * Who may see what; every resolver asks here.
 * - A committed image (an avatar, a photo) is visible to every signed-in user;
 *   a staged one to its owner; a deleted one to nobody. An admin sees every
 *   image that is not deleted.
 * - An image's details (`owner`, `status`, `createdAt`) are its owner's and
 *   the admins'; anyone else asking is FORBIDDEN (the fields are non-null, so
 *   null is not an answer; `owner` follows the same rule).
 */
export function isVisibleTo(image: ImageRow, viewer: Viewer): boolean {
  switch (image.status) {
    case "COMMITTED":
      return true;
    case "STAGED":
      return image.owner_id === viewer.id || viewer.isAdmin;
    case "DELETED":
      return false;
  }
}

/**
 * That the viewer may read the image's details.
 * @throws UpstageError FORBIDDEN for anyone but the owner and the admins.
 */
export function checkMayInspect(image: ImageRow, viewer: Viewer): void {
  if (image.owner_id !== viewer.id && !viewer.isAdmin) {
    throw new UpstageError(ErrorCode.Forbidden, "Only the image's owner and admins see who uploaded it, its status and when.");
  }
}
