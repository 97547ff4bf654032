// Resumable (tus) uploads, from creation to a staged image, with the same
// limits, the same pushed progress and the same honest ending as a multipart
// upload. The tus protocol itself (the HTTP, the data store) is server/'s:
// this module is told what arrives and says what it decides.
import { quotaExceeded } from "../errors/quotaExceeded.js";
import { fileTooLarge } from "../errors/fileTooLarge.js";
import type { Readable, Transform } from "node:stream";
import type { ImageRow } from "../db/rows.js";
import { bytesStoredBy, countStaged } from "../db/imageQueries.js";
import { bytesPendingFor, deleteResumableUpload, insertResumableUpload, type ResumableUploadRow } from "../db/resumableUploadQueries.js";
import { claimUploadId } from "../db/uploadClaimQueries.js";
import { unavailabilityOf } from "../errors/asServiceUnavailable.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { tooManyStaged } from "../errors/tooManyStaged.js";
import { UpstageError } from "../errors/UpstageError.js";
import { createProgressReporter, type ByteCount, type ProgressReporter } from "../progress/createProgressReporter.js";
import type { ProgressBus } from "../progress/ProgressBus.js";
import { stageReceivedFile } from "../staging/stageReceivedFile.js";
import type { StagingDeps } from "../staging/StagingDeps.js";
import type { ResumableInspector } from "../uploads/inspectResumable.js";
import { sanitizeFilename } from "../uploads/sanitizeFilename.js";

export interface ResumableDeps {
  readonly staging: StagingDeps;
  readonly progress: ProgressBus;
  readonly inspector: ResumableInspector;
  readonly limits: {
    readonly maxFileSize: number;
    readonly quotaBytes: number;
    readonly maxStagedPerUser: number;
    readonly ttlSeconds: number;
  };
  /** Milliseconds an answer may wait for its last progress events to reach the bus. */
  readonly progressFlushMs?: number;
}

/** The data store's side of one upload: its bytes so far, a copy of them, and its removal. */
export interface StoredUpload {
  read(): Readable;
  /** Copies (or links) the complete upload to `path`. */
  copyTo(path: string): Promise<void>;
  /** Removes the upload's bytes and info from the store. */
  remove(): Promise<void>;
  /** The upload is staged from its copy: the store may let its bytes go (when its answer is sent). */
  finished(): void;
}

/**
 * Each reporter of one upload counts its sequence numbers on from the clock
 * (microseconds), so events of a later PATCH, on this instance or another,
 * are never taken for repeats of an earlier one's.
 */
function reporterFor(deps: ResumableDeps, row: ResumableUploadRow, meter: ByteCount): ProgressReporter {
  return createProgressReporter(deps.progress, row.progress_id, meter, {
    seqFrom: Date.now() * 1000,
    onPublishError: (error) => deps.staging.log.warn({ err: error, uploadId: row.progress_id }, "progress events not delivered (the bus is down)"),
  });
}

/** A meter that has counted everything already: for the events after the last byte. */
function wholeMeter(row: ResumableUploadRow): ByteCount {
  return { bytesTotal: row.byte_length, bytesReceived: row.byte_length, ended: true, onChange: () => () => {} };
}

/**
 * Before any byte: the limit and the quota, as the chain's `limit` and
 * `quota` handlers would say them, then the row that makes the upload the
 * user's. An incomplete upload counts against the quota whole until it is
 * staged, terminated or expired.
 * @throws UpstageError FILE_TOO_LARGE, QUOTA_EXCEEDED, FORBIDDEN (another user's uploadId).
 */
export async function createResumable(
  deps: ResumableDeps,
  input: { readonly id: string; readonly userId: string; readonly byteLength: number; readonly filename: string | null; readonly uploadId: string | null },
): Promise<ResumableUploadRow> {
  const { knex } = deps.staging;
  const { limits } = deps;
  if (input.byteLength > limits.maxFileSize) {
    throw fileTooLarge(limits.maxFileSize);
  }
  const now = deps.staging.now();
  const [stored, pending, staged] = await Promise.all([bytesStoredBy(knex, input.userId), bytesPendingFor(knex, input.userId, now), countStaged(knex, input.userId, now)]);
  if (stored + pending + input.byteLength > limits.quotaBytes) {
    throw quotaExceeded(limits.quotaBytes);
  }
  if (staged >= limits.maxStagedPerUser) throw tooManyStaged(limits.maxStagedPerUser);
  const progressId = input.uploadId ?? input.id;
  if (!(await claimUploadId(knex, progressId, input.userId))) {
    throw new UpstageError(ErrorCode.Forbidden, "That uploadId is in use by another user.");
  }
  const row: ResumableUploadRow = {
    id: input.id,
    owner_id: input.userId,
    progress_id: progressId,
    byte_length: input.byteLength,
    filename: input.filename === null ? null : sanitizeFilename(input.filename),
    created_at: now,
    expires_at: new Date(now.getTime() + limits.ttlSeconds * 1000),
  };
  const { created_at: _, ...insert } = row;
  await insertResumableUpload(knex, insert);
  deps.staging.log.info({ uploadId: progressId, userId: input.userId, bytesTotal: input.byteLength }, "resumable upload created");
  return row;
}

/**
 * One request's bytes, written from `offset`: returns the Transform they go
 * through on their way to the store (the sniff, the running hash, RECEIVING
 * events from the offset on), and `end()` for when the store is done, which
 * answers the refusal, if there was one.
 * A refusal (the bytes are not an image's) is FAILED, and the upload is
 * removed; a client gone mid-request leaves the last state RECEIVING, to be
 * resumed.
 */
export async function receiveResumable(
  deps: ResumableDeps,
  row: ResumableUploadRow,
  offset: number,
  stored: StoredUpload,
): Promise<{ readonly transform: Transform; end(): Promise<UpstageError | undefined> }> {
  const listeners = new Set<() => void>();
  const meter = {
    bytesTotal: row.byte_length,
    bytesReceived: offset,
    ended: false,
    onChange(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const reporter = reporterFor(deps, row, meter);
  const stopReceiving = reporter.trackReceiving();
  let refusal: UpstageError | undefined;
  let transform: Transform;
  try {
    transform = await deps.inspector.inspect(row.id, offset, () => stored.read(), (length) => {
      meter.bytesReceived += length;
      meter.ended = meter.bytesReceived >= row.byte_length;
      for (const listener of listeners) listener();
    });
  } catch (error) {
    stopReceiving();
    throw error;
  }
  transform.once("error", (error) => {
    if (error instanceof UpstageError) refusal = error;
  });
  return {
    transform,
    async end() {
      stopReceiving();
      deps.staging.metrics.receivedBytes.inc(meter.bytesReceived - offset);
      if (refusal) {
        reporter.failed(refusal);
        deps.staging.metrics.uploads.inc({ outcome: "FAILED", code: refusal.code });
        deps.staging.log.info({ uploadId: row.progress_id, userId: row.owner_id, code: refusal.code }, "resumable upload refused");
        await abandonResumable(deps, row, stored);
      }
      await reporter.flushed(deps.progressFlushMs ?? 1000);
      return refusal;
    },
  };
}

/**
 * After the last byte: PROCESSING, then the file is staged exactly as a
 * multipart upload's is, then READY (or FAILED with its code). The upload
 * leaves the store either way.
 * @throws UpstageError whatever staging refuses with.
 */
export async function finishResumable(deps: ResumableDeps, row: ResumableUploadRow, stored: StoredUpload): Promise<ImageRow> {
  const { staging } = deps;
  const reporter = reporterFor(deps, row, wholeMeter(row));
  reporter.processing();
  const path = staging.scratch.newPath();
  try {
    const { sha256 } = await deps.inspector.finish(row.id, row.byte_length, () => stored.read());
    await stored.copyTo(path);
    deps.inspector.forget(row.id);
    await deleteResumableUpload(staging.knex, row.id);
    stored.finished();
    const timer = staging.metrics.stageSeconds.startTimer();
    const image = await stageReceivedFile(staging, { ownerId: row.owner_id, received: { path, sha256, byteSize: row.byte_length, filename: row.filename } });
    timer();
    reporter.ready(image.id);
    staging.metrics.uploads.inc({ outcome: "READY", code: "" });
    staging.log.info({ uploadId: row.progress_id, userId: row.owner_id, imageId: image.id }, "resumable upload staged");
    await reporter.flushed(deps.progressFlushMs ?? 1000);
    return image;
  } catch (thrown) {
    const error = unavailabilityOf(thrown) ?? thrown;
    reporter.failed(error);
    staging.metrics.uploads.inc({ outcome: "FAILED", code: error instanceof UpstageError ? error.code : ErrorCode.InternalServerError });
    await Promise.allSettled([abandonResumable(deps, row, stored), staging.scratch.remove(path)]);
    await reporter.flushed(deps.progressFlushMs ?? 1000);
    throw error;
  }
}

/** The upload is gone (refused, staged, terminated or expired): its row, its state and its stored bytes. */
export async function abandonResumable(deps: ResumableDeps, row: Pick<ResumableUploadRow, "id">, stored: StoredUpload): Promise<void> {
  deps.inspector.forget(row.id);
  const [removed] = await Promise.allSettled([stored.remove(), deleteResumableUpload(deps.staging.knex, row.id)]);
  if (removed.status === "rejected") deps.staging.log.debug({ err: removed.reason, id: row.id }, "resumable upload's bytes were gone already");
}

/** A terminated upload (tus DELETE) with `offset` bytes received: ABORTED for its subscribers. */
export async function terminatedResumable(deps: ResumableDeps, row: ResumableUploadRow, offset: number): Promise<void> {
  const reporter = reporterFor(deps, row, { ...wholeMeter(row), bytesReceived: offset });
  reporter.aborted();
  deps.staging.metrics.uploads.inc({ outcome: "ABORTED", code: "" });
  await reporter.flushed(deps.progressFlushMs ?? 1000);
}
