import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("users", (t) => {
    // The JWT `sub`: any string the identity provider uses.
    t.text("id").primary();
    t.text("username").notNullable();
    t.text("first_name");
    t.text("last_name");
    t.uuid("avatar_image_id");
    t.timestamps(true, true);
  });

  await knex.schema.createTable("images", (t) => {
    t.uuid("id").primary();
    t.text("owner_id").notNullable().references("id").inTable("users").onDelete("CASCADE");
    t.enu("status", ["STAGED", "COMMITTED", "DELETED"], { useNative: true, enumName: "image_status" }).notNullable();
    t.text("storage_key").notNullable().unique();
    t.text("original_filename");
    t.text("content_type").notNullable();
    t.bigInteger("byte_size").notNullable();
    t.integer("width").notNullable();
    t.integer("height").notNullable();
    t.text("sha256").notNullable();
    t.timestamp("expires_at", { useTz: true });
    t.timestamps(true, true);
    t.index(["owner_id", "status"]);
    t.index(["status", "expires_at"]);
  });

  await knex.schema.alterTable("users", (t) => {
    t.foreign("avatar_image_id").references("id").inTable("images").onDelete("SET NULL");
  });

  await knex.schema.createTable("thumbnails", (t) => {
    t.uuid("image_id").notNullable().references("id").inTable("images").onDelete("CASCADE");
    // The variant as asked for: `<w>x<h|auto>.<fit>.<format>`; unique per image.
    t.text("variant").notNullable();
    t.integer("width").notNullable();
    t.integer("height").notNullable();
    t.text("fit").notNullable();
    t.text("format").notNullable();
    t.text("storage_key").notNullable().unique();
    t.text("content_type").notNullable();
    t.bigInteger("byte_size").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(["image_id", "variant"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("thumbnails");
  await knex.schema.alterTable("users", (t) => t.dropForeign(["avatar_image_id"]));
  await knex.schema.dropTable("images");
  await knex.schema.dropTable("users");
  await knex.raw("DROP TYPE IF EXISTS image_status");
}
