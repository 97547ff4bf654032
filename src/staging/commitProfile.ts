import { markCommitted, markDeleted } from "../db/imageQueries.js";
import type { UserRow } from "../db/rows.js";
import { findUser, lockUser, updateUser } from "../db/userQueries.js";
import { refusals } from "../errors/refusals.js";
import type { CropRect } from "../images/ThumbnailSpec.js";
import { checkCommittable, findOwnImage } from "./access.js";
import { removeUnnamedFiles } from "./fileIntents.js";
import { abandonPrepared, applyFraming, type FocalPointInput, type PreparedFraming, prepareFraming } from "./framing.js";
import { removeDeletedImage } from "./removeImages.js";
import type { StagingDeps } from "./StagingDeps.js";

export interface ProfileChanges {
  /** undefined leaves a field as it is; null clears it. */
  readonly firstName?: string | null | undefined;
  readonly lastName?: string | null | undefined;
  /** A staged image of the viewer's to attach as the avatar. */
  readonly stagedImageId?: string | null | undefined;
  /** A region of that staged image, in its pixels, that the avatar's thumbnails are made from. */
  readonly crop?: CropRect | null | undefined;
  /** The point its COVER thumbnails centre on (in the crop's coordinates); of the current avatar without stagedImageId. */
  readonly focalPoint?: FocalPointInput | null | undefined;
}

/** The longest first or last name. */
export const MAX_NAME_LENGTH = 150;

/**
 * Saves the profile form in one transaction: names, and the staged image as
 * the new avatar (COMMITTED), cropped and focused when asked (its presets
 * are rendered and stored first, and put in place in the transaction); or a
 * new focal point for the current avatar. The
 * previous avatar is marked DELETED in the same transaction and its files are
 * removed after it commits. Committing the current avatar again changes nothing.
 * @throws UpstageError NOT_FOUND, FORBIDDEN, STAGED_IMAGE_EXPIRED, BAD_USER_INPUT.
 */
export async function commitProfile(deps: StagingDeps, viewerId: string, changes: ProfileChanges): Promise<UserRow> {
  checkName("firstName", changes.firstName);
  checkName("lastName", changes.lastName);
  const now = deps.now();
  const prepared = changes.crop || changes.focalPoint ? await prepareFramingFor(deps, viewerId, changes, now) : undefined;
  let outcome: { user: UserRow; replaced: string | null; reframed: string[] };
  try {
    outcome = await saveProfile(deps, viewerId, changes, now, prepared);
  } catch (error) {
    if (prepared) await abandonPrepared(deps, [prepared]);
    throw error;
  }
  const { user, replaced, reframed } = outcome;
  await removeUnnamedFiles(deps, reframed).catch((error: unknown) => deps.log.warn({ err: error }, "reframed thumbnails left in storage"));
  if (replaced) await removeDeletedImage(deps, replaced);
  return user;
}

/** The framing's presets, rendered and stored before the transaction: of the image being committed, or of the current avatar. */
async function prepareFramingFor(
  deps: StagingDeps,
  viewerId: string,
  changes: ProfileChanges,
  now: Date,
): Promise<PreparedFraming | undefined> {
  const avatarId = (await findUser(deps.knex, viewerId))?.avatar_image_id ?? null;
  const target = changes.stagedImageId ?? avatarId;
  if (changes.crop && (changes.stagedImageId == null || changes.stagedImageId === avatarId)) {
    throw refusals.cropWithoutImage();
  }
  if (target === null) throw refusals.focalPointWithoutImage();
  const image = await findOwnImage(deps.knex, viewerId, target);
  if (target !== avatarId) checkCommittable(image, now);
  return prepareFraming(deps, image, { crop: changes.crop ?? undefined, focalPoint: changes.focalPoint });
}

async function saveProfile(
  deps: StagingDeps,
  viewerId: string,
  changes: ProfileChanges,
  now: Date,
  prepared: PreparedFraming | undefined,
): Promise<{ user: UserRow; replaced: string | null; reframed: string[] }> {
  return deps.knex.transaction(async (trx) => {
    const current = await lockUser(trx, viewerId);
    if (!current) throw refusals.userGone();
    const update: Parameters<typeof updateUser>[2] = {};
    if (changes.firstName !== undefined) update.first_name = changes.firstName;
    if (changes.lastName !== undefined) update.last_name = changes.lastName;
    let replaced: string | null = null;
    let reframed: string[] = [];
    if (changes.stagedImageId != null && changes.stagedImageId !== current.avatar_image_id) {
      const image = await findOwnImage(trx, viewerId, changes.stagedImageId);
      checkCommittable(image, now);
      await markCommitted(trx, image.id);
      if (prepared) reframed = await applyFraming(trx, prepared);
      update.avatar_image_id = image.id;
      if (current.avatar_image_id && (await markDeleted(trx, current.avatar_image_id))) {
        replaced = current.avatar_image_id;
      }
    } else if (prepared) {
      // A new point for the current avatar, unless another request replaced it meanwhile.
      if (prepared.imageId !== current.avatar_image_id) throw refusals.avatarChanged();
      reframed = await applyFraming(trx, prepared);
    }
    const user = await updateUser(trx, viewerId, update);
    return { user, replaced, reframed };
  });
}

function checkName(field: string, value: string | null | undefined): void {
  if (typeof value === "string" && value.length > MAX_NAME_LENGTH) {
    throw refusals.nameTooLong(field, MAX_NAME_LENGTH, value.length);
  }
}
