import type { Knex } from "knex";
import { findImage } from "../db/imageQueries.js";
import { findPhoto } from "../db/photoQueries.js";
import type { PhotoWithImage } from "../db/rows.js";
import { lockUser } from "../db/userQueries.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { isOwnedBy } from "./access.js";

/**
 * The viewer's photo `id`, read under its owner's lock (held until the
 * transaction ends), so its position is current.
 * @throws UpstageError NOT_FOUND, FORBIDDEN (someone else's).
 */
export async function findOwnPhoto(trx: Knex.Transaction, viewerId: string, id: string): Promise<PhotoWithImage> {
  const seen = await findPhoto(trx, id);
  if (!seen) throw new UpstageError(ErrorCode.NotFound, `No photo with id ${id}.`);
  if (!isOwnedBy(seen, viewerId)) throw new UpstageError(ErrorCode.Forbidden, "That photo belongs to someone else.");
  await lockUser(trx, viewerId);
  const photo = await findPhoto(trx, id);
  const image = photo && (await findImage(trx, photo.image_id));
  if (!photo || !image) throw new UpstageError(ErrorCode.NotFound, `No photo with id ${id}.`);
  return { ...photo, image };
}
