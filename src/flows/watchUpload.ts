import { claimUploadId } from "../db/uploadClaimQueries.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import type { ProgressBus } from "../progress/ProgressBus.js";
import type { UploadEvent } from "../progress/UploadEvent.js";
import type { StagingDeps } from "../staging/StagingDeps.js";

/**
 * A user's subscription to an upload's progress: the uploadId becomes theirs
 * when nobody has used it yet (so the upload, sent later, is theirs too).
 * @throws UpstageError FORBIDDEN when the uploadId belongs to another user.
 */
export async function watchUpload(
  deps: { readonly staging: Pick<StagingDeps, "knex" | "log">; readonly progress: ProgressBus },
  userId: string,
  uploadId: string,
): Promise<AsyncIterableIterator<UploadEvent>> {
  if (!(await claimUploadId(deps.staging.knex, uploadId, userId))) {
    throw new UpstageError(ErrorCode.Forbidden, "That uploadId belongs to another user.");
  }
  const subscription = deps.progress.subscribe(uploadId);
  // From here on every event reaches the subscriber (with Redis, once the channel's SUBSCRIBE is confirmed).
  void subscription.live.then(() => deps.staging.log.debug({ uploadId, userId }, "upload watched"));
  return subscription;
}
