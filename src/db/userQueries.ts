import type { Knex } from "knex";
import type { UserRow } from "./rows.js";

export function findUser(db: Knex, id: string): Promise<UserRow | undefined> {
  return db<UserRow>("users").where({ id }).first();
}

/** The users with these ids, those that exist, in no order. */
export function findUsers(db: Knex, ids: readonly string[]): Promise<UserRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db<UserRow>("users").whereIn("id", [...new Set(ids)]);
}

/**
 * Returns the user with `id`, making the row on first sight: one statement for a known user, two for a new one
 * (three when two first sights race).
 */
export async function ensureUser(db: Knex, id: string, username: string): Promise<UserRow> {
  const existing = await findUser(db, id);
  if (existing) return existing;
  const [made] = await db<UserRow>("users").insert({ id, username }).onConflict("id").ignore().returning("*");
  return made ?? (await findUser(db, id))!;
}

/** Locks the user's row for the rest of the transaction. */
export function lockUser(trx: Knex.Transaction, id: string): Promise<UserRow | undefined> {
  return trx<UserRow>("users").where({ id }).forUpdate().first();
}

export async function updateUser(
  trx: Knex,
  id: string,
  changes: Partial<Pick<UserRow, "first_name" | "last_name" | "avatar_image_id">>,
): Promise<UserRow> {
  const [row] = await trx<UserRow>("users")
    .where({ id })
    .update({ ...changes, updated_at: trx.fn.now() as unknown as Date })
    .returning("*");
  return row as UserRow;
}

/** Takes the image off whoever has it as their avatar. */
export async function clearAvatar(trx: Knex, imageId: string): Promise<void> {
  await trx<UserRow>("users")
    .where({ avatar_image_id: imageId })
    .update({ avatar_image_id: null, updated_at: trx.fn.now() as unknown as Date });
}
