import type { UserRow } from "../db/rows.js";
import { markCommitted, markDeleted } from "../db/imageQueries.js";
import { lockUser, updateUser } from "../db/userQueries.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import type { CropRect } from "../images/ThumbnailSpec.js";
import { applyCrop, prepareCrop, type PreparedCrop } from "./avatarCrop.js";
import { findOwnImage } from "./findOwnImage.js";
import { checkCommittable } from "./checkCommittable.js";
import { removeDeletedImage } from "./removeImage.js";
import { abandonFiles } from "./fileIntents.js";
import { removeUnnamedFiles } from "./removeUnnamedFiles.js";
import type { StagingDeps } from "./StagingDeps.js";

export interface ProfileChanges {
  /** undefined leaves a field as it is; null clears it. */
  readonly firstName?: string | null | undefined;
  readonly lastName?: string | null | undefined;
  /** A staged image of the viewer's to attach as the avatar. */
  readonly stagedImageId?: string | null | undefined;
  /** A region of that staged image, in its pixels, that the avatar's thumbnails are made from. */
  readonly crop?: CropRect | null | undefined;
}

/** The longest first or last name. */
export const MAX_NAME_LENGTH = 150;

/**
 * Saves the profile form in one transaction: names, and the staged image as
 * the new avatar (COMMITTED), cropped when asked (its cropped presets are
 * rendered and stored first, and put in place in the transaction). The
 * previous avatar is marked DELETED in the same transaction and its files are
 * removed after it commits. Committing the current avatar again changes nothing.
 * @throws UpstageError NOT_FOUND, FORBIDDEN, STAGED_IMAGE_EXPIRED, BAD_USER_INPUT.
 */
export async function commitProfile(deps: StagingDeps, viewerId: string, changes: ProfileChanges): Promise<UserRow> {
  checkName("firstName", changes.firstName);
  checkName("lastName", changes.lastName);
  const now = deps.now();
  const prepared = changes.crop ? await prepareCropFor(deps, viewerId, changes, now) : undefined;
  let outcome: { user: UserRow; replaced: string | null; uncropped: string[] };
  try {
    outcome = await saveProfile(deps, viewerId, changes, now, prepared);
  } catch (error) {
    if (prepared) await abandonFiles(deps, prepared.thumbnails.map((t) => t.storage_key)).catch(() => {});
    throw error;
  }
  const { user, replaced, uncropped } = outcome;
  await removeUnnamedFiles(deps, uncropped).catch((error: unknown) => deps.log.warn({ err: error }, "uncropped thumbnails left in storage"));
  if (replaced) await removeDeletedImage(deps, replaced);
  return user;
}

/** The crop's presets, rendered and stored before the transaction. */
async function prepareCropFor(deps: StagingDeps, viewerId: string, changes: ProfileChanges, now: Date): Promise<PreparedCrop> {
  if (changes.stagedImageId == null) {
    throw new UpstageError(ErrorCode.BadUserInput, "A crop applies to the staged image being committed: send stagedImageId with it.");
  }
  const image = await findOwnImage(deps.knex, viewerId, changes.stagedImageId);
  checkCommittable(image, now);
  return prepareCrop(deps, image, changes.crop!);
}

async function saveProfile(
  deps: StagingDeps,
  viewerId: string,
  changes: ProfileChanges,
  now: Date,
  prepared: PreparedCrop | undefined,
): Promise<{ user: UserRow; replaced: string | null; uncropped: string[] }> {
  return deps.knex.transaction(async (trx) => {
    const current = await lockUser(trx, viewerId);
    if (!current) throw new UpstageError(ErrorCode.Unauthenticated, "The signed-in user no longer exists.");
    const update: Parameters<typeof updateUser>[2] = {};
    if (changes.firstName !== undefined) update.first_name = changes.firstName;
    if (changes.lastName !== undefined) update.last_name = changes.lastName;
    let replaced: string | null = null;
    let uncropped: string[] = [];
    if (changes.stagedImageId != null && changes.stagedImageId !== current.avatar_image_id) {
      const image = await findOwnImage(trx, viewerId, changes.stagedImageId);
      checkCommittable(image, now);
      await markCommitted(trx, image.id);
      if (prepared) uncropped = await applyCrop(trx, image.id, prepared);
      update.avatar_image_id = image.id;
      if (current.avatar_image_id && (await markDeleted(trx, current.avatar_image_id))) {
        replaced = current.avatar_image_id;
      }
    } else if (prepared) {
      throw new UpstageError(ErrorCode.BadUserInput, "That image is already the avatar; a crop applies when a staged image is committed.");
    }
    const user = await updateUser(trx, viewerId, update);
    return { user, replaced, uncropped };
  });
}

function checkName(field: string, value: string | null | undefined): void {
  if (typeof value === "string" && value.length > MAX_NAME_LENGTH) {
    throw new UpstageError(ErrorCode.BadUserInput, `Expected ${field} of at most ${MAX_NAME_LENGTH} characters but received ${value.length}.`);
  }
}
