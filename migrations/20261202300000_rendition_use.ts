import type { Knex } from "knex";

/**
 * When each thumbnail was last asked for: the per-image cap on on-demand
 * renditions (MAX_RENDITIONS_PER_IMAGE) evicts the least recently used first.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("thumbnails", (t) => {
    t.timestamp("used_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(["image_id", "used_at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("thumbnails", (t) => {
    t.dropIndex(["image_id", "used_at"]);
    t.dropColumn("used_at");
  });
}
