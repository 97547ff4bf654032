import type { Knex } from "knex";

/** Remembers that these staged images expired, so a late commit hears STAGED_IMAGE_EXPIRED. */
export async function rememberExpired(db: Knex, images: readonly { id: string; owner_id: string }[]): Promise<void> {
  if (images.length === 0) return;
  await db("expired_images")
    .insert(images.map(({ id, owner_id }) => ({ id, owner_id })))
    .onConflict("id")
    .ignore();
}

/** Whether `ownerId`'s staged image `id` expired (and is still remembered). */
export async function hasExpired(db: Knex, ownerId: string, id: string): Promise<boolean> {
  return (await db("expired_images").where({ id, owner_id: ownerId }).first("id")) !== undefined;
}

/** Forgets expiries older than `before`; returns how many. */
export function forgetExpired(db: Knex, before: Date): Promise<number> {
  return db("expired_images").where("expired_at", "<", before).delete();
}
