import { countPhotos, movePhoto, updateCaption } from "../db/photoQueries.js";
import type { PhotoWithImage } from "../db/rows.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { findOwnPhoto } from "./findOwnPhoto.js";
import type { StagingDeps } from "./StagingDeps.js";

export interface PhotoChanges {
  /** undefined leaves it; null clears it. */
  readonly caption?: string | null | undefined;
  /** The new 0-based place; the photos in between shift by one. */
  readonly position?: number | null | undefined;
}

/**
 * Changes a photo's caption, or moves it to another place in its owner's list.
 * @throws UpstageError NOT_FOUND, FORBIDDEN, BAD_USER_INPUT (a position outside the list).
 */
export async function updatePhoto(deps: Pick<StagingDeps, "knex">, viewerId: string, id: string, changes: PhotoChanges): Promise<PhotoWithImage> {
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
        throw new UpstageError(ErrorCode.BadUserInput, `Expected a position from 0 to ${count - 1} but received ${changes.position}.`);
      }
      position = changes.position;
      await movePhoto(trx, photo, photo.position, position);
    }
    return { ...photo, caption, position };
  });
}
