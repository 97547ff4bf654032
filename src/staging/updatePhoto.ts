import { findImage } from "../db/imageQueries.js";
import { countPhotos, movePhoto, updateCaption } from "../db/photoQueries.js";
import type { PhotoWithImage } from "../db/rows.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { abandonFiles } from "./fileIntents.js";
import { findOwnPhoto } from "./findOwnPhoto.js";
import { applyFraming, type FocalPointInput, type PreparedFraming, prepareFraming } from "./framing.js";
import { removeUnnamedFiles } from "./removeUnnamedFiles.js";
import type { StagingDeps } from "./StagingDeps.js";

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
    if (prepared)
      await abandonFiles(
        deps,
        prepared.thumbnails.map((t) => t.storage_key),
      ).catch(() => {});
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
        throw new UpstageError(ErrorCode.BadUserInput, `Expected a position from 0 to ${count - 1} but received ${changes.position}.`);
      }
      position = changes.position;
      await movePhoto(trx, photo, photo.position, position);
    }
    const reframed = prepared ? await applyFraming(trx, prepared) : [];
    const image = prepared ? (await findImage(trx, photo.image_id))! : photo.image;
    return { photo: { ...photo, caption, position, image }, reframed };
  });
}
