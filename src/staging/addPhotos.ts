import { randomUUID } from "node:crypto";
import { findImages, markCommitted } from "../db/imageQueries.js";
import { countPhotos, insertPhotos } from "../db/photoQueries.js";
import type { PhotoWithImage } from "../db/rows.js";
import { lockUser } from "../db/userQueries.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { checkCommittable } from "./checkCommittable.js";
import { abandonFiles } from "./fileIntents.js";
import { findOwnImage } from "./findOwnImage.js";
import { applyFraming, type FocalPointInput, type PreparedFraming, prepareFraming } from "./framing.js";
import { removeUnnamedFiles } from "./removeUnnamedFiles.js";
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
    throw new UpstageError(
      ErrorCode.BadUserInput,
      `Expected at most ${MAX_PHOTOS_PER_CALL} photos in one addPhotos but received ${photos.length}.`,
    );
  }
  const ids = photos.map((p) => p.stagedImageId);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw new UpstageError(ErrorCode.BadUserInput, `Staged image ${repeated} is listed twice; each becomes one photo.`);
  if (photos.length === 0) return [];
  const now = deps.now();
  const prepared = await prepareFramings(deps, viewerId, photos, now);
  let added: { photos: PhotoWithImage[]; reframed: string[] };
  try {
    added = await savePhotos(deps, viewerId, photos, now, prepared);
  } catch (error) {
    await abandonFiles(
      deps,
      prepared.flatMap((p) => p.thumbnails.map((t) => t.storage_key)),
    ).catch(() => {});
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
    await abandonFiles(
      deps,
      prepared.flatMap((p) => p.thumbnails.map((t) => t.storage_key)),
    ).catch(() => {});
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
    if (!(await lockUser(trx, viewerId))) throw new UpstageError(ErrorCode.Unauthenticated, "The signed-in user no longer exists.");
    const count = await countPhotos(trx, viewerId);
    if (count + photos.length > max) {
      throw new UpstageError(
        ErrorCode.QuotaExceeded,
        `You have ${count} photos; adding ${photos.length} would pass the limit of ${max}. Delete some first.`,
      );
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
