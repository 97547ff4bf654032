import { quotaExceeded } from "../../errors/quotaExceeded.js";
import type { Knex } from "knex";
import { bytesStoredBy, countStaged } from "../../db/imageQueries.js";
import { bytesPendingFor } from "../../db/resumableUploadQueries.js";
import { tooManyStaged } from "../../errors/tooManyStaged.js";
import type { UploadHandler } from "../UploadHandler.js";

/**
 * Refuses with QUOTA_EXCEEDED the upload that would take a user's staged plus
 * committed images (and resumable uploads under way) past `quotaBytes`, as soon as it crosses the line, and the
 * upload of a user who holds `maxStagedPerUser` staged images already, before
 * its bytes are read (staging checks that cap again, under a lock, as it
 * inserts the row).
 */
export function createQuotaHandler(options: { knex: Knex; quotaBytes: number; maxStagedPerUser?: number }): UploadHandler {
  let used = 0;
  const refuse = () => quotaExceeded(options.quotaBytes);
  return {
    name: "quota",
    async start(upload) {
      const [bytes, pending, staged] = await Promise.all([
        bytesStoredBy(options.knex, upload.userId),
        // Resumable uploads under way count whole: their bytes are promised.
        bytesPendingFor(options.knex, upload.userId, new Date()),
        options.maxStagedPerUser === undefined ? 0 : countStaged(options.knex, upload.userId, new Date()),
      ]);
      used = bytes + pending;
      if (used >= options.quotaBytes) throw refuse();
      if (options.maxStagedPerUser !== undefined && staged >= options.maxStagedPerUser) throw tooManyStaged(options.maxStagedPerUser);
    },
    chunk(_data, upload) {
      if (used + upload.bytesSeen > options.quotaBytes) throw refuse();
    },
  };
}
