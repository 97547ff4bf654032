import type { Knex } from "knex";

/** A resumable (tus) upload under way (migrations/20261202200000_resumable_uploads.ts). */
export interface ResumableUploadRow {
  readonly id: string;
  readonly owner_id: string;
  readonly progress_id: string;
  readonly byte_length: number;
  readonly filename: string | null;
  readonly created_at: Date;
  readonly expires_at: Date;
}

type NewResumableUpload = Omit<ResumableUploadRow, "created_at">;

export async function insertResumableUpload(db: Knex, row: NewResumableUpload): Promise<void> {
  await db("resumable_uploads").insert(row);
}

export async function findResumableUpload(db: Knex, id: string): Promise<ResumableUploadRow | undefined> {
  const row = await db<ResumableUploadRow>("resumable_uploads").where({ id }).first();
  return row && { ...row, byte_length: Number(row.byte_length) };
}

/** True when there was a row to delete. */
export async function deleteResumableUpload(db: Knex, id: string): Promise<boolean> {
  return (await db("resumable_uploads").where({ id }).delete()) > 0;
}

/** Up to `limit` uploads past their expiry, oldest first. */
export function listExpiredResumableUploads(
  db: Knex,
  now: Date,
  limit: number,
): Promise<Pick<ResumableUploadRow, "id" | "progress_id" | "expires_at">[]> {
  return db<ResumableUploadRow>("resumable_uploads")
    .select("id", "progress_id", "expires_at")
    .where("expires_at", "<=", now)
    .orderBy("expires_at")
    .limit(limit);
}
