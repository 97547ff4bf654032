import type { Knex } from "knex";
import { releaseUploadId, reserveUploadId } from "../db/uploadClaimQueries.js";
import { refusals } from "../errors/refusals.js";

/** What admission reserved for one upload, to be let go once when it ends (uploadsInFlight's finish does). */
export type Release = () => Promise<void>;

const nothingToRelease: Release = async () => {};

/**
 * The database's part of admitting an upload, whatever its door: its
 * `uploadId`, reserved for this upload alone until it ends (or `until`, the
 * lease a crash lapses by), in one statement, so uploads naming one uploadId
 * at once on any instance cannot both pass. (The door takes the user's place
 * among their concurrent uploads before this, synchronously; the quota bytes
 * are reserved under the user's row lock: a tus upload's declared length at
 * its creation, a multipart upload's bytes as staging inserts its row.)
 * @throws UpstageError FORBIDDEN when the uploadId is another user's; RATE_LIMITED while another upload under it is in flight.
 */
export async function admitUpload(
  knex: Knex,
  input: { readonly userId: string; readonly uploadId: string | null; readonly now: Date; readonly until: Date },
): Promise<Release> {
  const { uploadId } = input;
  if (uploadId === null) return nothingToRelease;
  switch (await reserveUploadId(knex, uploadId, input.userId, input.now, input.until)) {
    case "reserved":
      return () => releaseUploadId(knex, uploadId, input.until);
    case "busy":
      throw refusals.uploadIdBusy();
    case "taken":
      throw refusals.uploadIdTaken();
  }
}
