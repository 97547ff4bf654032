import type { Knex } from "knex";
import { bytesStoredBy } from "../../db/imageQueries.js";
import { ErrorCode } from "../../errors/ErrorCode.js";
import { UpstageError } from "../../errors/UpstageError.js";
import type { UploadHandler } from "../UploadHandler.js";

/**
 * Refuses with QUOTA_EXCEEDED the upload that would take a user's staged plus
 * committed images past `quotaBytes`, as soon as it crosses the line.
 */
export function createQuotaHandler(options: { knex: Knex; quotaBytes: number }): UploadHandler {
  let used = 0;
  const refuse = () =>
    new UpstageError(ErrorCode.QuotaExceeded, `This upload would take your images past your quota of ${options.quotaBytes} bytes; discard some first.`);
  return {
    name: "quota",
    async start(upload) {
      used = await bytesStoredBy(options.knex, upload.userId);
      if (used >= options.quotaBytes) throw refuse();
    },
    chunk(_data, upload) {
      if (used + upload.bytesSeen > options.quotaBytes) throw refuse();
    },
  };
}
