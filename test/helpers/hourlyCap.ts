// The README's hourly cap ("Writing an upload handler"), as it is written there.
import { ErrorCode, type UploadHandler, UpstageError } from "../../src/serverApi.js";

// README: begin hourly-cap
/** Refuses a user's upload past `perHour` uploads in the last hour (one instance's memory). */
export function createHourlyCap(perHour: number) {
  const recent = new Map<string, number[]>();
  return (): UploadHandler => ({
    name: "hourly-cap",
    start(upload) {
      const hourAgo = Date.now() - 3_600_000;
      const times = (recent.get(upload.userId) ?? []).filter((t) => t > hourAgo);
      if (times.length >= perHour) {
        throw new UpstageError(ErrorCode.QuotaExceeded, `At most ${perHour} uploads an hour; try again later.`);
      }
      recent.set(upload.userId, [...times, Date.now()]);
    },
  });
}
// README: end hourly-cap
