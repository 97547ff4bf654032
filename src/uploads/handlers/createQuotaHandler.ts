import type { Knex } from "knex";
import { type Holdings, holdingsOf } from "../../db/holdingsQueries.js";
import { refusals } from "../../errors/refusals.js";
import type { UploadContext, UploadHandler } from "../UploadHandler.js";

/**
 * Refuses with QUOTA_EXCEEDED the upload that would take a user's staged plus
 * committed images (and resumable uploads under way) past `quotaBytes`, as
 * soon as it crosses the line, and the upload of a user who holds
 * `maxStagedPerUser` staged images already, before its bytes are read. This
 * is the early word, one upload at a time; what holds under a burst is the
 * reservation under the user's row lock (a tus creation's, and staging's as
 * it inserts the row).
 */
export function createQuotaHandler(options: { knex: Knex; quotaBytes: number; maxStagedPerUser?: number }): UploadHandler {
  let used = 0;
  const refuse = () => refusals.quotaExceeded(options.quotaBytes);

  /** What the user holds besides this upload: images, and resumable uploads under way (counted whole; their bytes are promised). */
  const usedBesides = (held: Holdings, upload: UploadContext) => held.storedBytes + held.pendingBytes - upload.reservedBytes;

  return {
    name: "quota",
    async start(upload) {
      const held = await holdingsOf(options.knex, upload.userId, new Date());
      used = usedBesides(held, upload);
      if (used >= options.quotaBytes) throw refuse();
      if (options.maxStagedPerUser !== undefined && held.staged >= options.maxStagedPerUser)
        throw refusals.tooManyStaged(options.maxStagedPerUser);
    },
    async resume(upload) {
      used = usedBesides(await holdingsOf(options.knex, upload.userId, new Date()), upload);
    },
    chunk(_data, upload) {
      if (used + upload.bytesSeen > options.quotaBytes) throw refuse();
    },
  };
}
