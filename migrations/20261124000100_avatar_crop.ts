import type { Knex } from "knex";

/** The avatar crop chosen at commit: every thumbnail of the image is made from it. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("images", (t) => {
    // In the original's pixels; all four set or none.
    t.integer("crop_x");
    t.integer("crop_y");
    t.integer("crop_width");
    t.integer("crop_height");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("images", (t) => {
    t.dropColumns("crop_x", "crop_y", "crop_width", "crop_height");
  });
}
