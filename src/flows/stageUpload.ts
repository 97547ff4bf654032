import type { ImageRow } from "../db/rows.js";
import { claimUploadId } from "../db/uploadClaimQueries.js";
import { unavailabilityOf } from "../errors/asServiceUnavailable.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { createProgressReporter, type ByteCount, type ProgressReporter } from "../progress/createProgressReporter.js";
import type { ProgressBus } from "../progress/ProgressBus.js";
import { stageReceivedFile } from "../staging/stageReceivedFile.js";
import type { StagingDeps } from "../staging/StagingDeps.js";
import { receiveUpload, type IncomingFile } from "../uploads/receiveUpload.js";
import { UploadAbortedError } from "../errors/UploadAbortedError.js";
import type { UploadHandler } from "../uploads/UploadHandler.js";

export interface StageUploadDeps {
  readonly staging: StagingDeps;
  readonly progress: ProgressBus;
  /** Milliseconds an upload's answer may wait for its last progress events to reach the bus. */
  readonly progressFlushMs?: number;
  /** The reporters of uploads under way, so a stopping server can end each with ABORTED. */
  readonly reporters?: Set<ProgressReporter>;
}

export interface UploadRequest {
  readonly userId: string;
  /** The client's uploadId, when it watches the upload's progress. */
  readonly uploadId: string | null;
  /** Resolves when the file's part begins; rejects when the request fails first. */
  readonly file: Promise<IncomingFile>;
  readonly handlers: readonly UploadHandler[];
  /** The request body's byte count as read from the network, with whether the client went away. */
  readonly meter: (ByteCount & { readonly aborted: boolean }) | null;
}

/**
 * One upload from bytes to a staged image, and its progress around it:
 * RECEIVING while intake reads the file, PROCESSING while staging makes the
 * image, then READY, FAILED or ABORTED. This is the one place that tells a
 * client gone (ABORTED) from a failure (FAILED with its code). Progress is
 * best-effort: the answer waits at most `progressFlushMs` (1 s) for the bus.
 * @throws UpstageError FORBIDDEN for another user's uploadId, and whatever intake or staging refuses with.
 */
export async function stageUpload(deps: StageUploadDeps, input: UploadRequest): Promise<ImageRow> {
  const { staging } = deps;
  const flushMs = deps.progressFlushMs ?? 1000;
  // The file may fail (client gone, part missing) while the uploadId is being
  // claimed; it is awaited below, so its rejection is not unhandled meanwhile.
  input.file.catch(() => {});
  const context = { uploadId: input.uploadId, userId: input.userId };
  if (input.uploadId !== null && !(await claimUploadId(staging.knex, input.uploadId, input.userId))) {
    throw new UpstageError(ErrorCode.Forbidden, "That uploadId is in use by another user.");
  }
  const reporter: ProgressReporter | null =
    input.uploadId !== null && input.meter
      ? createProgressReporter(deps.progress, input.uploadId, input.meter, {
          // Once per upload: a bus that is down would otherwise say so for every event.
          onPublishError: once((error) => staging.log.warn({ err: error, uploadId: input.uploadId }, "progress events not delivered (the bus is down); they are sent again when it returns")),
        })
      : null;
  staging.log.info({ ...context, bytesTotal: input.meter?.bytesTotal ?? null }, "upload started");
  const stopReceiving = reporter?.trackReceiving();
  if (reporter) deps.reporters?.add(reporter);
  try {
    let received;
    try {
      received = await receiveUpload(input.file, input.handlers, context);
    } finally {
      stopReceiving?.();
    }
    staging.log.info({ ...context, bytes: received.byteSize }, "upload received");
    reporter?.processing();
    const timer = staging.metrics.stageSeconds.startTimer();
    const image = await stageReceivedFile(staging, { ownerId: input.userId, received });
    timer();
    reporter?.ready(image.id);
    staging.metrics.uploads.inc({ outcome: "READY", code: "" });
    await reporter?.flushed(flushMs);
    return image;
  } catch (thrown) {
    // A database that went away or a disk that filled up is said as such, not as an internal error.
    const error = unavailabilityOf(thrown) ?? thrown;
    if (error instanceof UploadAbortedError || input.meter?.aborted) {
      reporter?.aborted();
      staging.metrics.uploads.inc({ outcome: "ABORTED", code: "" });
      staging.log.info(context, "upload aborted by the client");
    } else {
      reporter?.failed(error);
      const code = error instanceof UpstageError ? error.code : ErrorCode.InternalServerError;
      staging.metrics.uploads.inc({ outcome: "FAILED", code });
      staging.log.info({ ...context, code }, "upload refused");
    }
    await reporter?.flushed(flushMs);
    throw error;
  } finally {
    if (reporter) deps.reporters?.delete(reporter);
    staging.metrics.receivedBytes.inc(input.meter?.bytesReceived ?? 0);
  }
}

function once<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  let called = false;
  return (...args) => {
    if (called) return;
    called = true;
    fn(...args);
  };
}
