import type { Knex } from "knex";

/** A direct upload (migrations/20261207100000_direct_uploads.ts). */
export interface DirectUploadRow {
  readonly id: string;
  readonly owner_id: string;
  readonly progress_id: string;
  readonly object_key: string;
  readonly byte_length: number;
  readonly filename: string | null;
  readonly created_at: Date;
  readonly url_expires_at: Date;
  readonly expires_at: Date;
  readonly staging_until: Date | null;
  readonly staged_at: Date | null;
  readonly image_id: string | null;
}

type NewDirectUpload = Omit<DirectUploadRow, "created_at" | "staging_until" | "staged_at" | "image_id">;

const fromDb = (row: DirectUploadRow): DirectUploadRow => ({ ...row, byte_length: Number(row.byte_length) });

export async function insertDirectUpload(db: Knex, row: NewDirectUpload): Promise<void> {
  await db("direct_uploads").insert(row);
}

export async function findDirectUpload(db: Knex, id: string): Promise<DirectUploadRow | undefined> {
  const row = await db<DirectUploadRow>("direct_uploads").where({ id }).first();
  return row && fromDb(row);
}

/**
 * Takes the upload for one staging request until `until`, in one statement:
 * only an unstaged, unexpired upload of `ownerId` that no other request is
 * staging (or whose stager's lease lapsed) is taken.
 * @returns the row, or undefined when it was not taken.
 */
export async function takeDirectUploadForStaging(db: Knex, id: string, ownerId: string, now: Date, until: Date): Promise<DirectUploadRow | undefined> {
  const [row] = await db<DirectUploadRow>("direct_uploads")
    .where({ id, owner_id: ownerId, staged_at: null })
    .where("expires_at", ">", now)
    .where((q) => q.whereNull("staging_until").orWhere("staging_until", "<=", now))
    .update({ staging_until: until })
    .returning("*");
  return row && fromDb(row as DirectUploadRow);
}

/** Lets a staging request's lease go without staging (the bytes were not there yet). */
export async function giveBackDirectUpload(db: Knex, id: string, until: Date): Promise<void> {
  await db("direct_uploads").where({ id, staging_until: until }).update({ staging_until: null });
}

/** Records the staged image: a later stage of the same upload answers it. */
export async function markDirectUploadStaged(db: Knex, id: string, imageId: string, now: Date): Promise<void> {
  await db("direct_uploads").where({ id }).update({ image_id: imageId, staged_at: now, staging_until: null });
}

/** True when there was a row to delete. */
export async function deleteDirectUpload(db: Knex, id: string): Promise<boolean> {
  return (await db("direct_uploads").where({ id }).delete()) > 0;
}

/** Up to `limit` uploads past their expiry that no request is staging (a stager's lapsed lease counts as none), oldest first. */
export function listExpiredDirectUploads(db: Knex, now: Date, limit: number): Promise<DirectUploadRow[]> {
  return db<DirectUploadRow>("direct_uploads")
    .where("expires_at", "<=", now)
    .where((q) => q.whereNull("staging_until").orWhere("staging_until", "<=", now))
    .orderBy("expires_at")
    .limit(limit);
}
