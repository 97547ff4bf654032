import type { Knex } from "knex";
import type { ImageRow } from "../db/rows.js";
import { findImage, lockImage } from "../db/imageQueries.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";

/**
 * The image `id` if the viewer owns it and it is not deleted; with a
 * transaction, its row is locked until the transaction ends.
 * @throws UpstageError NOT_FOUND (no such image, or deleted), FORBIDDEN (someone else's).
 */
export async function findOwnImage(db: Knex, viewerId: string, id: string): Promise<ImageRow> {
  const image = isTransaction(db) ? await lockImage(db, id) : await findImage(db, id);
  if (!image || image.status === "DELETED") {
    throw new UpstageError(ErrorCode.NotFound, `No image with id ${id}.`);
  }
  if (image.owner_id !== viewerId) {
    throw new UpstageError(ErrorCode.Forbidden, "That image belongs to someone else.");
  }
  return image;
}

function isTransaction(db: Knex): db is Knex.Transaction {
  return (db as Knex.Transaction).isTransaction === true;
}
