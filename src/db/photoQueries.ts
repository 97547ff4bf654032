import type { Knex } from "knex";
import type { PhotoRow } from "./rows.js";

/**
 * The photos table. Positions are 0-based and contiguous per owner; every
 * function that moves them runs in a transaction that holds the owner's row
 * lock (lockUser), so two changes never interleave.
 */

export function findPhoto(db: Knex, id: string): Promise<PhotoRow | undefined> {
  return db<PhotoRow>("photos").where({ id }).first();
}

/** The photo that shows this image, if one does. */
export function findPhotoOfImage(db: Knex, imageId: string): Promise<PhotoRow | undefined> {
  return db<PhotoRow>("photos").where({ image_id: imageId }).first();
}

export async function countPhotos(db: Knex, ownerId: string): Promise<number> {
  const row = await db<PhotoRow>("photos").where({ owner_id: ownerId }).count<{ count: string | number }>({ count: "*" }).first();
  return Number(row?.count ?? 0);
}

/** Appends photos at the end of the owner's list, in the order given. */
export async function insertPhotos(trx: Knex.Transaction, rows: readonly Omit<PhotoRow, "created_at">[]): Promise<PhotoRow[]> {
  if (rows.length === 0) return [];
  const inserted = await trx<PhotoRow>("photos")
    .insert(rows as PhotoRow[])
    .returning("*");
  return inserted.sort((a, b) => a.position - b.position);
}

/**
 * A page of the owner's photos in order, after the photo at `after` (its
 * position), `limit` of them.
 */
export function listPhotos(db: Knex, ownerId: string, page: { afterPosition: number | undefined; limit: number }): Promise<PhotoRow[]> {
  return db<PhotoRow>("photos")
    .where({ owner_id: ownerId })
    .modify((query) => void (page.afterPosition !== undefined && query.where("position", ">", page.afterPosition)))
    .orderBy("position")
    .limit(page.limit);
}

export async function updateCaption(trx: Knex, id: string, caption: string | null): Promise<void> {
  await trx<PhotoRow>("photos").where({ id }).update({ caption });
}

/** Moves a photo from `from` to `to`; the photos in between shift by one towards `from`. */
export async function movePhoto(trx: Knex.Transaction, photo: Pick<PhotoRow, "id" | "owner_id">, from: number, to: number): Promise<void> {
  if (from === to) return;
  const shifted = trx<PhotoRow>("photos").where({ owner_id: photo.owner_id }).whereNot({ id: photo.id });
  if (to < from) await shifted.whereBetween("position", [to, from - 1]).increment("position", 1);
  else await shifted.whereBetween("position", [from + 1, to]).decrement("position", 1);
  await trx<PhotoRow>("photos").where({ id: photo.id }).update({ position: to });
}

/** Deletes a photo row; the photos after it move up by one. */
export async function deletePhotoRow(trx: Knex.Transaction, photo: Pick<PhotoRow, "id" | "owner_id" | "position">): Promise<void> {
  await trx<PhotoRow>("photos").where({ id: photo.id }).delete();
  await trx<PhotoRow>("photos").where({ owner_id: photo.owner_id }).where("position", ">", photo.position).decrement("position", 1);
}
