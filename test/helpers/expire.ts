import type { Knex } from "knex";

/**
 * Lets a row's time pass without waiting for it: its `expires_at` moves a
 * second into the past (a staged image, a resumable or a direct upload).
 */
export async function expire(knex: Knex, table: "images" | "resumable_uploads" | "direct_uploads", id: string): Promise<void> {
  await knex(table)
    .where({ id })
    .update({ expires_at: new Date(Date.now() - 1000) });
}
