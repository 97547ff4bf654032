import type { Knex } from "knex";

/**
 * An uploadId names one upload at a time: `busy_until` is set while an
 * upload under it is in flight (a multipart request, or a tus upload from
 * creation to its end) and cleared when it ends. It is a lease, so a crash
 * cannot hold an uploadId for longer than the lease.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("upload_claims", (t) => {
    t.timestamp("busy_until", { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("upload_claims", (t) => {
    t.dropColumn("busy_until");
  });
}
