import type { Knex } from "knex";

/**
 * Resumable (tus) uploads under way: who owns each, how long it will be, and
 * when it expires. The bytes are the tus data store's; this row is what
 * ownership, the quota (an incomplete upload counts whole) and the sweeper
 * read. It goes when the upload is staged, refused, terminated or expired.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("resumable_uploads", (t) => {
    t.text("id").primary();
    t.text("owner_id").notNullable().references("id").inTable("users").onDelete("CASCADE");
    /** The uploadId its progress is published under: the tus id, or the client's own. */
    t.text("progress_id").notNullable();
    t.bigInteger("byte_length").notNullable();
    t.text("filename");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("expires_at", { useTz: true }).notNullable();
    t.index(["owner_id"]);
    t.index(["expires_at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("resumable_uploads");
}
