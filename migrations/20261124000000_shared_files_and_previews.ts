import type { Knex } from "knex";

/**
 * Content-hash dedupe: one user's same bytes staged twice share their stored
 * files, so a storage key may be named by several rows (counted before a file
 * is deleted). And what a frontend paints before the thumbnail loads: a tiny
 * inline preview and the dominant colour, computed at stage time.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("images", (t) => {
    t.dropUnique(["storage_key"]);
    t.index(["storage_key"]);
    t.index(["owner_id", "sha256"]);
    // A data: URL of a ~16 px WebP; `#rrggbb`. Null for images staged before this migration: made on first read.
    t.text("placeholder");
    t.text("dominant_color");
  });
  await knex.schema.alterTable("thumbnails", (t) => {
    t.dropUnique(["storage_key"]);
    t.index(["storage_key"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("thumbnails", (t) => {
    t.dropIndex(["storage_key"]);
    t.unique(["storage_key"]);
  });
  await knex.schema.alterTable("images", (t) => {
    t.dropColumn("dominant_color");
    t.dropColumn("placeholder");
    t.dropIndex(["owner_id", "sha256"]);
    t.dropIndex(["storage_key"]);
    t.unique(["storage_key"]);
  });
}
