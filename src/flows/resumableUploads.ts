// Resumable (tus) uploads, from creation to a staged image, through the same
// door as a multipart upload: the same admission (the uploadId and the
// quota bytes reserved, under the user's row lock), the same configured
// handler chain (kept across requests, rebuilt by replay when lost), the same
// way out. The tus protocol itself (the HTTP, the data store) is server/'s:
// this module is told what arrives and says what it decides.

import { Transform } from "node:stream";
import { holdingsOf } from "../db/holdingsQueries.js";
import {
  deleteResumableUpload,
  findResumableUpload,
  insertResumableUpload,
  listExpiredResumableUploads,
  type ResumableUploadRow,
} from "../db/resumableUploadQueries.js";
import type { ImageRow } from "../db/rows.js";
import { releaseUploadId } from "../db/uploadClaimQueries.js";
import { lockUser } from "../db/userQueries.js";
import { unavailabilityOf } from "../errors/asServiceUnavailable.js";
import { refusals } from "../errors/refusals.js";
import { type ByteCount, byteCountAt, PROGRESS_FLUSH_MS } from "../progress/createProgressReporter.js";
import type { ProgressBus } from "../progress/ProgressBus.js";
import type { StagingDeps } from "../staging/StagingDeps.js";
import { stageReceivedFile } from "../staging/stageReceivedFile.js";
import type { ResumableParts } from "../storage/createResumableParts.js";
import type { DoorSteps } from "../uploads/createHandlerChain.js";
import type { ChainSource, ResumableChains } from "../uploads/createResumableChains.js";
import { createStoredFileHandler } from "../uploads/handlers/createStoredFileHandler.js";
import type { ChainRun } from "../uploads/runUploadChain.js";
import { sanitizeFilename } from "../uploads/sanitizeFilename.js";
import type { UploadHandler } from "../uploads/UploadHandler.js";
import { admitUpload } from "./admitUpload.js";
import { progressReporterFor } from "./stageUpload.js";
import { sweepInBatches } from "./sweepInBatches.js";
import type { UploadInFlight, UploadOutcome, UploadsInFlight } from "./uploadsInFlight.js";

export type { ResumableUploadRow } from "../db/resumableUploadQueries.js";

export interface ResumableDeps {
  readonly staging: StagingDeps;
  readonly progress: ProgressBus;
  readonly inFlight: UploadsInFlight;
  /** The bytes stored so far of each upload (the tus data store's). */
  readonly parts: ResumableParts;
  /** The handler chains kept between an upload's requests. */
  readonly chains: ResumableChains;
  /** A fresh chain from UPLOAD_HANDLERS, with this door's `store`. */
  readonly newUploadHandlers: (door: DoorSteps) => UploadHandler[];
  readonly limits: {
    readonly maxFileSize: number;
    readonly quotaBytes: number;
    readonly maxStagedPerUser: number;
    readonly ttlSeconds: number;
  };
}

/** Nothing of a request's own to let go: a tus upload's reservations live with its row, until it ends (endResumable). */
const heldByTheRow = async () => {};

/** The chain's view of the upload: its progress id, its owner, and its declared bytes, which its creation reserved. */
function chainSourceOf(deps: ResumableDeps, row: ResumableUploadRow): ChainSource {
  return {
    handlers: deps.newUploadHandlers({
      store: () => createStoredFileHandler({ scratch: deps.staging.scratch, copyTo: (path) => deps.parts.copyTo(row.id, path) }),
    }),
    upload: {
      uploadId: row.progress_id,
      userId: row.owner_id,
      filename: row.filename ?? "",
      bytesSeen: 0,
      reservedBytes: row.byte_length,
      results: {},
    },
    readStored: () => deps.parts.read(row.id),
  };
}

/**
 * Each reporter of one upload counts its sequence numbers on from the clock
 * (microseconds), so events of a later PATCH, on this instance or another,
 * are never taken for repeats of an earlier one's.
 */
function enterRequest(deps: ResumableDeps, row: ResumableUploadRow, meter: ByteCount): UploadInFlight {
  const reporter = progressReporterFor(deps, row.progress_id, meter, Date.now() * 1000);
  return deps.inFlight.enter({ door: "tus", userId: row.owner_id, uploadId: row.progress_id, reporter, release: heldByTheRow });
}

/**
 * Admission, before any byte: the file size, then, under the user's row
 * lock, the quota (an incomplete upload counts whole until it ends), the
 * staged cap and the uploadId, with the row that makes the upload the
 * user's. Then the chain starts (`start` on each handler), and may refuse.
 * @throws UpstageError FILE_TOO_LARGE, QUOTA_EXCEEDED, FORBIDDEN or RATE_LIMITED (the uploadId), or a handler's refusal.
 */
export async function createResumable(
  deps: ResumableDeps,
  input: {
    readonly id: string;
    readonly userId: string;
    readonly byteLength: number;
    readonly filename: string | null;
    readonly uploadId: string | null;
  },
): Promise<ResumableUploadRow> {
  const { knex } = deps.staging;
  const { limits } = deps;
  if (input.byteLength > limits.maxFileSize) throw refusals.fileTooLarge(limits.maxFileSize);
  const now = deps.staging.now();
  const row: ResumableUploadRow = {
    id: input.id,
    owner_id: input.userId,
    progress_id: input.uploadId ?? input.id,
    byte_length: input.byteLength,
    filename: input.filename === null ? null : sanitizeFilename(input.filename),
    created_at: now,
    expires_at: new Date(now.getTime() + limits.ttlSeconds * 1000),
  };
  await knex.transaction(async (trx) => {
    await lockUser(trx, input.userId);
    const held = await holdingsOf(trx, input.userId, now);
    if (held.storedBytes + held.pendingBytes + input.byteLength > limits.quotaBytes) throw refusals.quotaExceeded(limits.quotaBytes);
    if (held.staged >= limits.maxStagedPerUser) throw refusals.tooManyStaged(limits.maxStagedPerUser);
    // The lease is the upload's life: a crash cannot hold the uploadId past its expiry.
    await admitUpload(trx, { userId: input.userId, uploadId: input.uploadId, now, until: row.expires_at });
    const { created_at: _, ...insert } = row;
    await insertResumableUpload(trx, insert);
  });
  deps.staging.log.info({ uploadId: row.progress_id, userId: row.owner_id, bytesTotal: row.byte_length }, "resumable upload created");
  const { handlers, upload } = chainSourceOf(deps, row);
  try {
    await deps.chains.begin(row.id, { handlers, upload });
  } catch (error) {
    await endResumable(deps, row, enterRequest(deps, row, byteCountAt(row.byte_length, 0)), { phase: "FAILED", error });
    throw error;
  }
  return row;
}

/** The upload's row, or undefined when there is none (never made, or ended). */
export function resumableUpload(deps: ResumableDeps, id: string): Promise<ResumableUploadRow | undefined> {
  return findResumableUpload(deps.staging.knex, id);
}

/**
 * One request's bytes, written from `offset`: returns the Transform they go
 * through on their way to the store (the handler chain, and RECEIVING events
 * from the offset on), and `end()` for when the store is done, which answers
 * the refusal, if there was one. A refusal fails the upload (FAILED with the
 * handler's code; its row, bytes and reservations go); a client gone
 * mid-request leaves the last state RECEIVING, to be resumed.
 */
export async function receiveResumable(
  deps: ResumableDeps,
  row: ResumableUploadRow,
  offset: number,
): Promise<{ readonly transform: Transform; end(): Promise<unknown> }> {
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
  const request = enterRequest(deps, row, meter);
  const stopReceiving = request.reporter!.trackReceiving();
  let refusal: unknown;
  /** The chain, found (or rebuilt) when the first byte comes. */
  let run: Promise<ChainRun> | undefined;
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      run ??= deps.chains.at(row.id, offset, () => chainSourceOf(deps, row));
      run
        .then((chain) => chain.push(chunk))
        .then((data) => {
          meter.bytesReceived += chunk.length;
          meter.ended = meter.bytesReceived >= row.byte_length;
          for (const listener of listeners) listener();
          callback(null, data);
        })
        .catch((error: unknown) => {
          refusal = unavailabilityOf(error) ?? error;
          callback(error as Error);
        });
    },
  });
  const start = offset;
  return {
    transform,
    async end() {
      stopReceiving();
      deps.staging.metrics.receivedBytes.inc(meter.bytesReceived - start);
      if (refusal !== undefined) {
        await endResumable(deps, row, request, { phase: "FAILED", error: refusal });
        return refusal;
      }
      deps.inFlight.leave(request);
      await request.reporter!.flushed(PROGRESS_FLUSH_MS);
      return undefined;
    },
  };
}

/**
 * After the last byte is stored: PROCESSING, the chain's `complete` (the
 * stored file copied for staging), then the file is staged exactly as a
 * multipart upload's is, then READY (or FAILED with its code). A failed
 * upload's bytes go with it; a staged one's stay for the door to remove once
 * its answer is sent (tus reads the upload's info after this).
 * @throws UpstageError whatever a handler or staging refuses with.
 */
export async function finishResumable(deps: ResumableDeps, row: ResumableUploadRow): Promise<ImageRow> {
  const { staging } = deps;
  const request = enterRequest(deps, row, byteCountAt(row.byte_length, row.byte_length));
  request.reporter!.processing();
  let file: string | undefined;
  try {
    const run = await deps.chains.at(row.id, row.byte_length, () => chainSourceOf(deps, row));
    await run.complete();
    deps.chains.drop(row.id);
    const { results } = run.upload;
    file = results.file;
    // createHandlerChain insists on both.
    if (file === undefined || results.sha256 === undefined) throw new Error("The upload chain ran without its hash or store handler.");
    // The declared bytes stop counting as the staged image starts to (staging reserves its bytes under the same lock).
    await deleteResumableUpload(staging.knex, row.id);
    const timer = staging.metrics.stageSeconds.startTimer();
    const image = await stageReceivedFile(staging, {
      ownerId: row.owner_id,
      received: { path: file, sha256: results.sha256, byteSize: row.byte_length, filename: row.filename },
    });
    file = undefined;
    timer();
    await endResumable(deps, row, request, { phase: "READY", image });
    return image;
  } catch (thrown) {
    const error = unavailabilityOf(thrown) ?? thrown;
    if (file !== undefined) await staging.scratch.remove(file).catch(() => {});
    await endResumable(deps, row, request, { phase: "FAILED", error });
    throw error;
  }
}

/** A terminated upload (tus DELETE) with `offset` bytes received: ABORTED for its subscribers. Its bytes are gone already. */
export async function terminatedResumable(deps: ResumableDeps, row: ResumableUploadRow, offset: number): Promise<void> {
  await endResumable(deps, row, enterRequest(deps, row, byteCountAt(row.byte_length, offset)), { phase: "ABORTED" });
}

/**
 * The sweeper's part: incomplete uploads past RESUMABLE_TTL, their bytes,
 * rows and reservations, in batches; returns how many.
 */
export function sweepExpiredResumables(deps: ResumableDeps, now: Date): Promise<number> {
  return sweepInBatches(
    (size) => listExpiredResumableUploads(deps.staging.knex, now, size),
    (row) => removeResumable(deps, row),
  );
}

/** The one way out for a tus upload: its ending through the finisher, then its row, its bytes, its chain and its uploadId let go. */
async function endResumable(deps: ResumableDeps, row: ResumableUploadRow, request: UploadInFlight, outcome: UploadOutcome): Promise<void> {
  // A chain ended by a refusal has aborted already; any other has its handlers' abort now.
  if (outcome.phase !== "READY") await deps.chains.end(row.id, outcome.phase === "FAILED" ? outcome.error : new Error("terminated"));
  await Promise.all([deps.inFlight.finish(request, outcome), removeResumable(deps, row, { keepBytes: outcome.phase === "READY" })]);
}

async function removeResumable(
  deps: ResumableDeps,
  row: Pick<ResumableUploadRow, "id" | "progress_id" | "expires_at">,
  how: { keepBytes?: boolean } = {},
): Promise<void> {
  await deps.chains.end(row.id, new Error("expired"));
  const [removed] = await Promise.allSettled([
    how.keepBytes ? Promise.resolve() : deps.parts.remove(row.id),
    deleteResumableUpload(deps.staging.knex, row.id),
    releaseUploadId(deps.staging.knex, row.progress_id, row.expires_at),
  ]);
  if (removed.status === "rejected")
    deps.staging.log.debug({ err: removed.reason, id: row.id }, "resumable upload's bytes were gone already");
}
