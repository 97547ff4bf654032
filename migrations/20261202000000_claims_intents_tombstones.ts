import type { Knex } from "knex";

/**
 * What must survive a lost bus or a crash:
 * - `upload_claims`: who owns an uploadId (first user to use it), kept in the
 *   database rather than the progress bus, so an outage of the bus cannot
 *   lose it or block an upload;
 * - `pending_files`: the intent log. A key is recorded (and committed) before
 *   its file is written to storage, and removed in the transaction that
 *   inserts the rows naming it; what a crash leaves here is deleted later;
 * - `expired_images`: ids of staged images the sweeper removed, so a late
 *   commit still hears STAGED_IMAGE_EXPIRED rather than NOT_FOUND.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("upload_claims", (t) => {
    t.text("upload_id").primary();
    t.text("user_id").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(["created_at"]);
  });
  await knex.schema.createTable("pending_files", (t) => {
    t.text("storage_key").primary();
    // The process that meant to write it (`<host>-<pid>-<random>`).
    t.text("instance").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(["instance"]);
  });
  await knex.schema.createTable("expired_images", (t) => {
    t.uuid("id").primary();
    t.text("owner_id").notNullable();
    t.timestamp("expired_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(["expired_at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("expired_images");
  await knex.schema.dropTable("pending_files");
  await knex.schema.dropTable("upload_claims");
}
