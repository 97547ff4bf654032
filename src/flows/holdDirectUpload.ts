import { randomUUID } from "node:crypto";
import { giveBackDirectUpload, renewDirectUploadLease, takeDirectUploadForStaging } from "../db/directUploadQueries.js";
import type { StagingDeps } from "../staging/StagingDeps.js";

/** Milliseconds a request's hold on an upload outlives its last renewal: a stage cut by a crash frees it within a minute. */
const STAGING_LEASE_MS = 60_000;
/** Milliseconds between renewals while a request stages the upload (its wait in the image queue included). */
const STAGING_RENEW_MS = 20_000;

/**
 * Takes the upload for this request alone (one conditional update: a second
 * request at once finds it taken), and keeps taking it while the request runs.
 * `row` is undefined when it was not taken; `done` stops the renewals.
 */
export async function holdDirectUpload(
  staging: Pick<StagingDeps, "knex" | "now">,
  input: { readonly userId: string; readonly id: string },
) {
  const { knex } = staging;
  const holder = randomUUID();
  const now = staging.now();
  const leaseFrom = (from: Date) => new Date(from.getTime() + STAGING_LEASE_MS);
  const row = await takeDirectUploadForStaging(knex, { id: input.id, ownerId: input.userId, holder, now, until: leaseFrom(now) });
  if (!row) return { now, row, giveBack: async () => {}, done: () => {} };
  const renewing = setInterval(
    () => void renewDirectUploadLease(knex, row.id, holder, leaseFrom(staging.now())).catch(() => {}),
    STAGING_RENEW_MS,
  );
  renewing.unref();
  return { now, row, giveBack: () => giveBackDirectUpload(knex, row.id, holder), done: () => clearInterval(renewing) };
}
