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
  readonly staging_by: string | null;
  readonly staged_at: Date | null;
  readonly image_id: string | null;
}

type NewDirectUpload = Omit<DirectUploadRow, "created_at" | "staging_until" | "staging_by" | "staged_at" | "image_id">;

const fromDb = (row: DirectUploadRow): DirectUploadRow => ({ ...row, byte_length: Number(row.byte_length) });

export async function insertDirectUpload(db: Knex, row: NewDirectUpload): Promise<void> {
  await db("direct_uploads").insert(row);
}

export async function findDirectUpload(db: Knex, id: string): Promise<DirectUploadRow | undefined> {
  const row = await db<DirectUploadRow>("direct_uploads").where({ id }).first();
  return row && fromDb(row);
}

/**
 * Takes the upload for one staging request (`holder`) until `until`, in one
 * statement: only an unstaged, unexpired upload of `ownerId` that no other
 * request is staging (or whose stager's lease lapsed) is taken.
 * @returns the row, or undefined when it was not taken.
 */
export async function takeDirectUploadForStaging(
  db: Knex,
  input: { readonly id: string; readonly ownerId: string; readonly holder: string; readonly now: Date; readonly until: Date },
): Promise<DirectUploadRow | undefined> {
  const [row] = await db<DirectUploadRow>("direct_uploads")
    .where({ id: input.id, owner_id: input.ownerId, staged_at: null })
    .where("expires_at", ">", input.now)
    .where((q) => q.whereNull("staging_until").orWhere("staging_until", "<=", input.now))
    .update({ staging_until: input.until, staging_by: input.holder })
    .returning("*");
  return row && fromDb(row as DirectUploadRow);
}

/** Moves `holder`'s lease on to `until`; false when it holds none any more. */
export async function renewDirectUploadLease(db: Knex, id: string, holder: string, until: Date): Promise<boolean> {
  return (await db("direct_uploads").where({ id, staging_by: holder }).update({ staging_until: until })) > 0;
}

/** Lets `holder`'s lease go without staging (the bytes were not there yet, or an outage). */
export async function giveBackDirectUpload(db: Knex, id: string, holder: string): Promise<void> {
  await db("direct_uploads").where({ id, staging_by: holder }).update({ staging_until: null, staging_by: null });
}

/** Lets every request's hold go: for a start of the one process that owns its database (its holders died with the last one). */
export async function dropDirectUploadLeases(db: Knex): Promise<number> {
  return db("direct_uploads").whereNotNull("staging_by").update({ staging_until: null, staging_by: null });
}

/** Records the staged image: a later stage of the same upload answers it. */
export async function markDirectUploadStaged(db: Knex, id: string, imageId: string, now: Date): Promise<void> {
  await db("direct_uploads").where({ id }).update({ image_id: imageId, staged_at: now, staging_until: null, staging_by: null });
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
