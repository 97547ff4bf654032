import type { ImageRow } from "../db/rows.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";

/**
 * That an image of the viewer's may be committed now (as an avatar or a photo): it is staged and has not expired.
 * @throws UpstageError STAGED_IMAGE_EXPIRED, BAD_USER_INPUT (already committed: an avatar's or a photo's), NOT_FOUND (deleted).
 */
export function checkCommittable(image: ImageRow, now: Date): void {
  switch (image.status) {
    case "STAGED":
      if (image.expires_at && image.expires_at.getTime() <= now.getTime()) {
        throw new UpstageError(ErrorCode.StagedImageExpired, "The staged image has expired; upload it again.");
      }
      return;
    case "COMMITTED":
      throw new UpstageError(
        ErrorCode.BadUserInput,
        `Image ${image.id} is not a staged image: it is already used as an avatar or a photo.`,
      );
    case "DELETED":
      throw new UpstageError(ErrorCode.NotFound, `No image with id ${image.id}.`);
  }
}
