// Direct uploads (STORAGE=s3): the client sends the bytes straight to the
// bucket with a presigned PUT, and the API servers see only two small
// requests. It is a third door into the same admission (the size, the quota
// and staged cap, a concurrency place and the uploadId, reserved under the
// user's row lock before the URL is handed out), the same configured
// handler chain (the object is read back through it, so a scanner sees
// these bytes too, as they really are in the bucket) and the same way out.

import { randomUUID } from "node:crypto";
import { pipeline, Transform } from "node:stream";
import {
  type DirectUploadRow,
  deleteDirectUpload,
  dropDirectUploadLeases,
  findDirectUpload,
  insertDirectUpload,
  listExpiredDirectUploads,
  markDirectUploadStaged,
} from "../db/directUploadQueries.js";
import { holdingsOf } from "../db/holdingsQueries.js";
import { findImage } from "../db/imageQueries.js";
import type { ImageRow } from "../db/rows.js";
import { releaseUploadId } from "../db/uploadClaimQueries.js";
import { lockUser } from "../db/userQueries.js";
import { unavailabilityOf } from "../errors/asServiceUnavailable.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { refusals } from "../errors/refusals.js";
import { UpstageError } from "../errors/UpstageError.js";
import { byteCountAt, PROGRESS_FLUSH_MS, type ProgressReporter } from "../progress/createProgressReporter.js";
import type { ProgressBus } from "../progress/ProgressBus.js";
import type { StagingDeps } from "../staging/StagingDeps.js";
import { stageReceivedFile } from "../staging/stageReceivedFile.js";
import type { DirectUploadBucket, PresignedUpload } from "../storage/DirectUploadBucket.js";
import type { DoorSteps } from "../uploads/createHandlerChain.js";
import { runUploadChain, startChainRun } from "../uploads/runUploadChain.js";
import { sanitizeFilename } from "../uploads/sanitizeFilename.js";
import type { UploadContext, UploadHandler } from "../uploads/UploadHandler.js";
import { admitUpload } from "./admitUpload.js";
import { holdDirectUpload } from "./holdDirectUpload.js";
import { progressReporterFor } from "./stageUpload.js";
import { sweepInBatches } from "./sweepInBatches.js";
import type { UploadInFlight, UploadOutcome, UploadsInFlight } from "./uploadsInFlight.js";

/** Milliseconds an upload may still be staged after its URL stops working: a PUT that ended at the last moment is not lost. */
const STAGE_AFTER_URL_MS = 5 * 60_000;

export type { DirectUploadRow } from "../db/directUploadQueries.js";

export interface DirectUploadDeps {
  readonly staging: StagingDeps;
  readonly progress: ProgressBus;
  readonly inFlight: UploadsInFlight;
  /** The bucket's quarantine; undefined without STORAGE=s3 (direct uploads are refused). */
  readonly bucket: DirectUploadBucket | undefined;
  /** A fresh chain from UPLOAD_HANDLERS; the read-back's `store` is the multipart door's (the object streams as a request body does). */
  readonly newUploadHandlers: (door?: DoorSteps) => UploadHandler[];
  readonly limits: {
    readonly maxFileSize: number;
    readonly quotaBytes: number;
    readonly maxStagedPerUser: number;
    /** MAX_CONCURRENT_UPLOADS: direct uploads a user may have open (made, neither staged, cancelled nor expired). */
    readonly maxOpen: number;
    /** Seconds a presigned URL works (DIRECT_UPLOAD_TTL). */
    readonly urlTtlSeconds: number;
  };
}

/** A direct upload as its creator gets it: where to send the bytes, and until when. */
export interface CreatedDirectUpload extends PresignedUpload {
  readonly id: string;
  readonly expiresAt: Date;
}

/** What the client says about its file; none of it is believed past the signature's size. */
export interface DirectUploadRequest {
  readonly userId: string;
  readonly filename: string;
  readonly contentType: string | null;
  readonly byteSize: number;
  readonly uploadId: string | null;
}

function bucketOf(deps: DirectUploadDeps): DirectUploadBucket {
  if (!deps.bucket) {
    throw refusals.directUploadsUnavailable();
  }
  return deps.bucket;
}

/** The chain's view of the upload: its progress id, its owner and its name; no bytes reserved (the creation's chain says its own). */
function contextOf(row: DirectUploadRow): UploadContext {
  return { uploadId: row.progress_id, userId: row.owner_id, filename: row.filename ?? "", bytesSeen: 0, reservedBytes: 0, results: {} };
}

/** Counts a request of the upload's in flight here until it ends it; what it reserved goes with the row (endDirectUpload). */
function enterDirect(deps: DirectUploadDeps, row: DirectUploadRow, reporter: ProgressReporter): UploadInFlight {
  return deps.inFlight.enter({ door: "direct", userId: row.owner_id, uploadId: row.progress_id, reporter, release: async () => {} });
}

/** One event outside any request of the upload's (its creation, its cancellation): a reporter counting on from the clock, as tus's do. */
function reporterAt(deps: DirectUploadDeps, row: DirectUploadRow, bytes: number) {
  return progressReporterFor(deps, row.progress_id, byteCountAt(row.byte_length, bytes), Date.now() * 1000);
}

/** The creation's chain has no bytes to store: they go to the bucket. */
const noBytesHere: DoorSteps = { store: () => ({ name: "store" }) };

/**
 * Admission, before any byte: the declared size against MAX_FILE_SIZE, then,
 * under the user's row lock, the quota and the staged cap (the declared bytes
 * count as held from now on), a place among the user's open direct uploads,
 * and the uploadId; then the row. Then the chain starts (`start` on each
 * handler, once per upload, as at tus's creation) and may refuse; it is
 * dropped, and the read-back resumes a fresh one. Then the presigned PUT for
 * exactly `byteSize` bytes. Subscribers of the uploadId hear RECEIVING at 0:
 * the bytes go to the bucket, which tells nobody, so the client reports its own.
 * @throws UpstageError DIRECT_UPLOADS_UNAVAILABLE, FILE_TOO_LARGE, BAD_USER_INPUT, UNSUPPORTED_MEDIA_TYPE, QUOTA_EXCEEDED,
 *   RATE_LIMITED, FORBIDDEN, or a handler's refusal.
 */
export async function createDirectUpload(deps: DirectUploadDeps, input: DirectUploadRequest): Promise<CreatedDirectUpload> {
  const bucket = bucketOf(deps);
  const { limits } = deps;
  if (!Number.isSafeInteger(input.byteSize) || input.byteSize < 1) throw refusals.badByteSize();
  if (input.byteSize > limits.maxFileSize) throw refusals.fileTooLarge(limits.maxFileSize);
  // An early word only: the sniff decides what the bytes are.
  if (input.contentType && !/^image\//i.test(input.contentType) && input.contentType !== "application/octet-stream") {
    throw refusals.notAnImageType(input.contentType);
  }
  const { knex } = deps.staging;
  const now = deps.staging.now();
  const id = randomUUID();
  const urlExpiresAt = new Date(now.getTime() + limits.urlTtlSeconds * 1000);
  const row: Omit<DirectUploadRow, "created_at" | "staging_until" | "staging_by" | "staged_at" | "image_id"> = {
    id,
    owner_id: input.userId,
    progress_id: input.uploadId ?? id,
    object_key: bucket.newKey(),
    byte_length: input.byteSize,
    filename: sanitizeFilename(input.filename),
    url_expires_at: urlExpiresAt,
    expires_at: new Date(urlExpiresAt.getTime() + STAGE_AFTER_URL_MS),
  };
  await knex.transaction(async (trx) => {
    await lockUser(trx, input.userId);
    const held = await holdingsOf(trx, input.userId, now);
    if (held.storedBytes + held.pendingBytes + input.byteSize > limits.quotaBytes) throw refusals.quotaExceeded(limits.quotaBytes);
    if (held.staged >= limits.maxStagedPerUser) throw refusals.tooManyStaged(limits.maxStagedPerUser);
    if (held.openDirect >= limits.maxOpen) {
      throw refusals.tooManyOpenDirect(held.openDirect);
    }
    // The lease is the upload's life: a crash cannot hold the uploadId past its expiry.
    await admitUpload(trx, { userId: input.userId, uploadId: row.progress_id, now, until: row.expires_at });
    await insertDirectUpload(trx, row);
  });
  const created: DirectUploadRow = { ...row, created_at: now, staging_until: null, staging_by: null, staged_at: null, image_id: null };
  const reporter = reporterAt(deps, created, 0);
  let presigned: PresignedUpload;
  try {
    await startChainRun(deps.newUploadHandlers(noBytesHere), { ...contextOf(created), reservedBytes: row.byte_length });
    presigned = await bucket.presignPut(row.object_key, row.byte_length, limits.urlTtlSeconds);
  } catch (error) {
    const refusal = unavailabilityOf(error) ?? error;
    await Promise.all([
      deps.inFlight.finish(enterDirect(deps, created, reporter), { phase: "FAILED", error: refusal }),
      endDirectUpload(deps, created),
    ]);
    throw refusal;
  }
  deps.staging.log.info(
    { door: "direct", uploadId: row.progress_id, userId: row.owner_id, bytesTotal: row.byte_length },
    "direct upload created",
  );
  reporter.trackReceiving()();
  await reporter.flushed(PROGRESS_FLUSH_MS);
  return { id, expiresAt: urlExpiresAt, ...presigned };
}

/**
 * Reads the object back from the bucket through the configured handler chain
 * and stages it as any upload: PROCESSING, then READY or FAILED. The object
 * goes either way. A second stage of a staged upload answers the same image.
 * Nothing sent yet is NOT_FOUND and leaves the upload as it was (send, then
 * stage again); so does an outage (SERVICE_UNAVAILABLE: retry). Anything
 * else the chain or staging refuses ends the upload, with its code.
 * @throws UpstageError NOT_FOUND (not the viewer's, never made, gone, or nothing sent yet), UPLOAD_EXPIRED,
 *   UPLOAD_IN_PROGRESS, BAD_USER_INPUT (another uploadId; a size other than declared), and whatever the chain or staging refuses with.
 */
export async function stageDirectUpload(
  deps: DirectUploadDeps,
  input: { readonly userId: string; readonly id: string; readonly uploadId: string | null },
): Promise<ImageRow> {
  const bucket = bucketOf(deps);
  const taken = await holdDirectUpload(deps.staging, input);
  if (!taken.row) return answerUntaken(deps, input, taken.now);
  try {
    return await stageTaken(deps, bucket, taken.row, taken.giveBack, input.uploadId);
  } finally {
    taken.done();
  }
}

/** stageDirectUpload, once its request holds the upload. */
async function stageTaken(
  deps: DirectUploadDeps,
  bucket: DirectUploadBucket,
  row: DirectUploadRow,
  giveBack: () => Promise<void>,
  uploadId: string | null,
): Promise<ImageRow> {
  const { staging } = deps;
  if (uploadId !== null && uploadId !== row.progress_id) {
    await giveBack();
    throw refusals.otherUploadId();
  }
  let size: number | undefined;
  try {
    size = await bucket.sizeOf(row.object_key);
  } catch (error) {
    await giveBack().catch(() => {});
    throw unavailabilityOf(error) ?? error;
  }
  if (size === undefined) {
    await giveBack();
    throw refusals.nothingSentYet();
  }

  const reporter = reporterAt(deps, row, row.byte_length);
  const upload = enterDirect(deps, row, reporter);
  staging.log.info({ door: "direct", uploadId: row.progress_id, userId: row.owner_id, bytes: size }, "direct upload staging");
  reporter.processing();
  let outcome: UploadOutcome;
  let failure: unknown;
  let ends = true;
  try {
    if (size !== row.byte_length) throw refusals.directUploadSizeDiffers(row.byte_length, size);
    // Taken for staging, the upload's bytes count as a multipart upload's do, not as reserved.
    const context = contextOf(row);
    // pipeline: a failed read fails the chain, and a refusal stops the read.
    await runUploadChain(
      () => pipeline(bucket.read(row.object_key), atMost(row.byte_length), () => {}),
      deps.newUploadHandlers(),
      context,
      { resume: true },
    );
    if (context.bytesSeen !== row.byte_length) throw refusals.directUploadSizeDiffers(row.byte_length, context.bytesSeen);
    const { file, sha256 } = context.results;
    // createHandlerChain insists on both.
    if (file === undefined || sha256 === undefined) throw new Error("The upload chain ran without its hash or store handler.");
    const timer = staging.metrics.stageSeconds.startTimer();
    const image = await stageReceivedFile(staging, {
      ownerId: row.owner_id,
      received: { path: file, sha256, byteSize: context.bytesSeen, filename: row.filename },
    });
    timer();
    await markDirectUploadStaged(staging.knex, row.id, image.id, staging.now());
    outcome = { phase: "READY", image };
  } catch (thrown) {
    failure = unavailabilityOf(thrown) ?? thrown;
    // An outage leaves the upload to be staged again; its bytes are still in the bucket.
    ends = !(failure instanceof UpstageError && failure.code === ErrorCode.ServiceUnavailable);
    outcome = { phase: "FAILED", error: failure };
  }
  await Promise.all([
    deps.inFlight.finish(upload, outcome),
    ends ? endDirectUpload(deps, row, { keepRow: outcome.phase === "READY" }) : giveBack().catch(() => {}),
  ]);
  if (outcome.phase === "READY") return outcome.image;
  throw failure;
}

/** An upload stageDirectUpload could not take: staged already (its image), being staged, expired, or none of the viewer's. */
async function answerUntaken(
  deps: DirectUploadDeps,
  input: { readonly userId: string; readonly id: string },
  now: Date,
): Promise<ImageRow> {
  const row = await findDirectUpload(deps.staging.knex, input.id);
  if (!row || row.owner_id !== input.userId) throw refusals.noDirectUpload(input.id);
  if (row.staged_at !== null) {
    const image = row.image_id === null ? undefined : await findImage(deps.staging.knex, row.image_id);
    if (image && image.status !== "DELETED") return image;
    throw refusals.directUploadImageGone();
  }
  if (row.expires_at <= now) throw refusals.directUploadExpired();
  throw refusals.directUploadInProgress();
}

/**
 * Gives a direct upload up before it is staged: its object (if the PUT got
 * there), its row and its reservations go, and its subscribers hear ABORTED.
 * @returns false when it was staged already (discard the staged image instead).
 * @throws UpstageError NOT_FOUND (not the viewer's, or none), UPLOAD_IN_PROGRESS (being staged now).
 */
export async function cancelDirectUpload(
  deps: DirectUploadDeps,
  input: { readonly userId: string; readonly id: string },
): Promise<boolean> {
  const taken = await holdDirectUpload(deps.staging, input);
  const { row } = taken;
  if (!row) {
    try {
      await answerUntaken(deps, input, taken.now);
      return false;
    } catch (error) {
      // An expired one is as good as cancelled: the sweeper removes it.
      if (error instanceof UpstageError && error.code === ErrorCode.UploadExpired) return true;
      throw error;
    }
  }
  try {
    await Promise.all([
      deps.inFlight.finish(enterDirect(deps, row, reporterAt(deps, row, 0)), { phase: "ABORTED" }),
      endDirectUpload(deps, row),
    ]);
    return true;
  } finally {
    taken.done();
  }
}

/**
 * At the start of the one process that owns the embedded database: a stage
 * its last run was cut in the middle of (a crash) may be staged again at
 * once, not a lease later. (With PostgreSQL another instance may be staging:
 * there the lease lapses within a minute.)
 */
export async function forgetCutStages(deps: Pick<DirectUploadDeps, "staging">): Promise<void> {
  const dropped = await dropDirectUploadLeases(deps.staging.knex);
  if (dropped > 0) deps.staging.log.warn({ directUploads: dropped }, "direct uploads whose staging a crash cut may be staged again");
}

/** The sweeper's part: direct uploads past their time, staged or not, with their objects and reservations, in batches; returns how many. */
export function sweepExpiredDirectUploads(deps: Pick<DirectUploadDeps, "staging" | "bucket">, now: Date): Promise<number> {
  return sweepInBatches(
    (size) => listExpiredDirectUploads(deps.staging.knex, now, size),
    (row) => endDirectUpload(deps, row),
  );
}

/**
 * The object goes (a staged upload's too: nothing in quarantine is kept),
 * then, unless the row is kept to answer a later stage, the row and the
 * uploadId's lease. A failed delete leaves the row for the sweeper to try again.
 */
async function endDirectUpload(
  deps: Pick<DirectUploadDeps, "staging" | "bucket">,
  row: DirectUploadRow,
  how: { keepRow?: boolean } = {},
): Promise<void> {
  const { knex, log } = deps.staging;
  try {
    await deps.bucket?.delete(row.object_key);
  } catch (error) {
    log.warn(
      { err: error, key: row.object_key },
      "a direct upload's object was not deleted; the sweeper tries again when the upload expires",
    );
    if (!how.keepRow) return;
  }
  if (how.keepRow) {
    await releaseUploadId(knex, row.progress_id, row.expires_at);
    return;
  }
  await Promise.all([deleteDirectUpload(knex, row.id), releaseUploadId(knex, row.progress_id, row.expires_at)]);
}

/** Passes at most `limit` bytes on and fails past them: an object replaced by a larger one is refused as it streams. */
function atMost(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limit) return callback(refusals.directUploadSizeDiffers(limit, seen));
      callback(null, chunk);
    },
  });
}
