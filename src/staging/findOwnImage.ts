import type { Knex } from "knex";
import { hasExpired } from "../db/expiredImageQueries.js";
import { findImage, lockImage } from "../db/imageQueries.js";
import type { ImageRow } from "../db/rows.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { isOwnedBy } from "./access.js";

/**
 * The image `id` if the viewer owns it and it is not deleted; with a
 * transaction, its row is locked until the transaction ends.
 * @throws UpstageError STAGED_IMAGE_EXPIRED (the viewer's, expired, even once the sweeper removed it), NOT_FOUND (no such image, or deleted), FORBIDDEN (someone else's).
 */
export async function findOwnImage(db: Knex, viewerId: string, id: string): Promise<ImageRow> {
  const image = isTransaction(db) ? await lockImage(db, id) : await findImage(db, id);
  if (!image || image.status === "DELETED") {
    // The sweeper may have removed it already; its expiry is remembered for a while.
    if (await hasExpired(db, viewerId, id))
      throw new UpstageError(ErrorCode.StagedImageExpired, "The staged image has expired; upload it again.");
    throw new UpstageError(ErrorCode.NotFound, `No image with id ${id}.`);
  }
  if (!isOwnedBy(image, viewerId)) {
    throw new UpstageError(ErrorCode.Forbidden, "That image belongs to someone else.");
  }
  return image;
}

function isTransaction(db: Knex): db is Knex.Transaction {
  return (db as Knex.Transaction).isTransaction === true;
}
