import type { Knex } from "knex";

/**
 * Photos: named images, many per user, in the owner's order (the seed
 * recipe's `Photo` model). A photo's image is COMMITTED and named by one
 * photo only; `position` is 0-based and contiguous per owner (kept so by the
 * mutations, which lock the owner's row).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("photos", (t) => {
    t.uuid("id").primary();
    t.text("owner_id").notNullable().references("id").inTable("users").onDelete("CASCADE");
    t.uuid("image_id").notNullable().unique().references("id").inTable("images").onDelete("CASCADE");
    t.text("caption");
    t.integer("position").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(["owner_id", "position"]);
  });
  // The admin list: newest first, by status and owner.
  await knex.schema.alterTable("images", (t) => {
    t.index(["created_at", "id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("images", (t) => t.dropIndex(["created_at", "id"]));
  await knex.schema.dropTable("photos");
}
