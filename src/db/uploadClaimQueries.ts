import type { Knex } from "knex";

/**
 * Makes `userId` the owner of `uploadId` unless another user already is: one
 * statement, so two first uses race safely.
 * @returns false when the uploadId belongs to another user.
 */
export async function claimUploadId(db: Knex, uploadId: string, userId: string): Promise<boolean> {
  // A new id (the usual case) is one round trip; only a reused one is looked up.
  const inserted = await db("upload_claims")
    .insert({ upload_id: uploadId, user_id: userId })
    .onConflict("upload_id")
    .ignore()
    .returning("user_id");
  if (inserted.length > 0) return true;
  const row = await db("upload_claims").where({ upload_id: uploadId }).first("user_id");
  return row?.user_id === userId;
}

/**
 * Claims `uploadId` for `userId` (as claimUploadId) and marks it busy until
 * `until`, in one statement, unless an upload under it is in flight already:
 * two uploads naming one uploadId at once, on any instance, cannot both get it.
 * @returns "reserved"; "busy" while another upload holds it; "taken" when it is another user's.
 */
export async function reserveUploadId(
  db: Knex,
  uploadId: string,
  userId: string,
  now: Date,
  until: Date,
): Promise<"reserved" | "busy" | "taken"> {
  const { rows } = await db.raw<{ rows: unknown[] }>(
    `INSERT INTO upload_claims (upload_id, user_id, busy_until) VALUES (?, ?, ?)
     ON CONFLICT (upload_id) DO UPDATE SET busy_until = EXCLUDED.busy_until
     WHERE upload_claims.user_id = EXCLUDED.user_id AND (upload_claims.busy_until IS NULL OR upload_claims.busy_until <= ?)
     RETURNING user_id`,
    [uploadId, userId, until, now],
  );
  if (rows.length > 0) return "reserved";
  const row = await db("upload_claims").where({ upload_id: uploadId }).first("user_id");
  return row?.user_id === userId ? "busy" : "taken";
}

/** Ends the reservation made until `until` (a later one, made after it lapsed, is left alone). */
export async function releaseUploadId(db: Knex, uploadId: string, until: Date): Promise<void> {
  await db("upload_claims").where({ upload_id: uploadId, busy_until: until }).update({ busy_until: null });
}

/** Forgets claims older than `before` that no upload holds; returns how many. */
export function forgetUploadClaims(db: Knex, before: Date, now: Date = new Date()): Promise<number> {
  return db("upload_claims")
    .where("created_at", "<", before)
    .where((q) => q.whereNull("busy_until").orWhere("busy_until", "<=", now))
    .delete();
}
