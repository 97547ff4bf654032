import type { Knex } from "knex";

/**
 * Direct uploads (STORAGE=s3): a client sends the bytes straight to the
 * bucket, under a quarantine key, with a presigned URL, and stages them
 * later. This row is made before the URL is handed out (so the sweeper can
 * always find the object), holds the declared bytes against the quota until
 * the upload is staged, and names the staged image afterwards, so a second
 * stage answers the same image. It goes at `expires_at`, with its object.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("direct_uploads", (t) => {
    t.uuid("id").primary();
    t.text("owner_id").notNullable().references("id").inTable("users").onDelete("CASCADE");
    /** The uploadId its progress is published under: the client's own, or this id. */
    t.text("progress_id").notNullable();
    /** The quarantine object's key in the bucket. */
    t.text("object_key").notNullable();
    t.bigInteger("byte_length").notNullable();
    t.text("filename");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    /** When the presigned URL stops working. */
    t.timestamp("url_expires_at", { useTz: true }).notNullable();
    /** When the row and its object go, staged or not. */
    t.timestamp("expires_at", { useTz: true }).notNullable();
    /** A lease, renewed while one request stages the upload (a crash lapses it within a minute), and that request's mark. */
    t.timestamp("staging_until", { useTz: true });
    t.uuid("staging_by");
    /** When it was staged: from then on it holds nothing, and a later stage answers its image. */
    t.timestamp("staged_at", { useTz: true });
    /** The staged image (null again once that image is gone). */
    t.uuid("image_id").references("id").inTable("images").onDelete("SET NULL");
    t.index(["owner_id"]);
    t.index(["expires_at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("direct_uploads");
}
