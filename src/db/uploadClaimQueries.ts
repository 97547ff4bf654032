import type { Knex } from "knex";

/**
 * Makes `userId` the owner of `uploadId` unless another user already is: one
 * statement, so two first uses race safely.
 * @returns false when the uploadId belongs to another user.
 */
export async function claimUploadId(db: Knex, uploadId: string, userId: string): Promise<boolean> {
  // A new id (the usual case) is one round trip; only a reused one is looked up.
  const inserted = await db("upload_claims").insert({ upload_id: uploadId, user_id: userId }).onConflict("upload_id").ignore().returning("user_id");
  if (inserted.length > 0) return true;
  const row = await db("upload_claims").where({ upload_id: uploadId }).first("user_id");
  return row?.user_id === userId;
}

/** Forgets claims older than `before`; returns how many. */
export function forgetUploadClaims(db: Knex, before: Date): Promise<number> {
  return db("upload_claims").where("created_at", "<", before).delete();
}
