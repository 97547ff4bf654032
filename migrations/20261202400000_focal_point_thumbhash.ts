import type { Knex } from "knex";

/**
 * The point every COVER rendition centres its crop on (0..1 of the width and
 * height, of the crop when there is one), chosen by the owner or found by
 * attention (`focal_auto`), and the image's ThumbHash. Both are null only for
 * images staged before they existed, until their first read fills them in.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("images", (t) => {
    t.double("focal_x").nullable();
    t.double("focal_y").nullable();
    t.boolean("focal_auto").notNullable().defaultTo(true);
    t.text("thumbhash").nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("images", (t) => {
    t.dropColumn("thumbhash");
    t.dropColumn("focal_auto");
    t.dropColumn("focal_y");
    t.dropColumn("focal_x");
  });
}
