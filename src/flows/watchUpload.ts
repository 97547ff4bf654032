import { claimUploadId } from "../db/uploadClaimQueries.js";
import { refusals } from "../errors/refusals.js";
import type { ProgressBus } from "../progress/ProgressBus.js";
import type { UploadEvent } from "../progress/UploadEvent.js";
import type { StagingDeps } from "../staging/StagingDeps.js";

/**
 * A user's subscription to an upload's progress: the uploadId becomes theirs
 * when nobody has used it yet (so the upload, sent later, is theirs too).
 * The bus subscription is taken first, so that the events published while
 * the claim waits on a busy database are kept; none reaches the subscriber
 * before the claim says the uploadId is theirs.
 * @throws UpstageError FORBIDDEN when the uploadId belongs to another user.
 */
export async function watchUpload(
  deps: { readonly staging: Pick<StagingDeps, "knex" | "log">; readonly progress: ProgressBus },
  userId: string,
  uploadId: string,
): Promise<AsyncIterableIterator<UploadEvent>> {
  const subscription = deps.progress.subscribe(uploadId);
  let claimed = false;
  try {
    claimed = await claimUploadId(deps.staging.knex, uploadId, userId);
  } finally {
    if (!claimed) await subscription.return?.();
  }
  if (!claimed) throw refusals.uploadIdTaken();
  // From here on every event reaches the subscriber (with Redis, once the channel's SUBSCRIBE is confirmed).
  void subscription.live.then(() => deps.staging.log.debug({ uploadId, userId }, "upload watched"));
  return subscription;
}
