import type { ImageRow } from "../db/rows.js";
import { unavailabilityOf } from "../errors/asServiceUnavailable.js";
import { UploadAbortedError } from "../errors/UploadAbortedError.js";
import { type ByteCount, createProgressReporter, type ProgressReporter } from "../progress/createProgressReporter.js";
import type { ProgressBus } from "../progress/ProgressBus.js";
import type { StagingDeps } from "../staging/StagingDeps.js";
import { stageReceivedFile } from "../staging/stageReceivedFile.js";
import type { ReceivedFile } from "../storage/ReceivedFile.js";
import { type IncomingFile, receiveUpload } from "../uploads/receiveUpload.js";
import type { UploadHandler } from "../uploads/UploadHandler.js";
import { admitUpload } from "./admitUpload.js";
import type { UploadOutcome, UploadsInFlight } from "./uploadsInFlight.js";

/** Milliseconds a multipart upload holds its uploadId at most, should its process die: the request timeout (10 min) and its processing. */
const MULTIPART_LEASE_MS = 15 * 60_000;

export interface StageUploadDeps {
  readonly staging: StagingDeps;
  readonly progress: ProgressBus;
  /** The uploads under way on this instance, and their one way out. */
  readonly inFlight: UploadsInFlight;
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

/** A reporter's complaint about the bus, said once per upload: a bus that is down would otherwise say so for every event. */
export function progressReporterFor(
  deps: { readonly staging: Pick<StagingDeps, "log">; readonly progress: ProgressBus },
  uploadId: string,
  meter: ByteCount,
  seqFrom?: number,
): ProgressReporter {
  let warned = false;
  return createProgressReporter(deps.progress, uploadId, meter, {
    ...(seqFrom === undefined ? {} : { seqFrom }),
    onPublishError(error) {
      if (warned) return;
      warned = true;
      deps.staging.log.warn(
        { err: error, uploadId },
        "progress events not delivered (the bus is down); they are sent again when it returns",
      );
    },
  });
}

/**
 * One multipart upload from bytes to a staged image, and its progress around
 * it: RECEIVING while intake reads the file, PROCESSING while staging makes
 * the image, then READY, FAILED or ABORTED through the one way out. A client
 * gone is ABORTED; a failure is FAILED with its code.
 * @throws UpstageError FORBIDDEN for another user's uploadId, RATE_LIMITED while another upload holds it, and
 *   whatever intake or staging refuses with.
 */
export async function stageUpload(deps: StageUploadDeps, input: UploadRequest): Promise<ImageRow> {
  const { staging } = deps;
  // The file may fail (client gone, part missing) while the uploadId is being
  // reserved; it is awaited below, so its rejection is not unhandled meanwhile.
  input.file.catch(() => {});
  const now = staging.now();
  const release = await admitUpload(staging.knex, {
    userId: input.userId,
    uploadId: input.uploadId,
    now,
    until: new Date(now.getTime() + MULTIPART_LEASE_MS),
  });
  const reporter = input.uploadId !== null && input.meter ? progressReporterFor(deps, input.uploadId, input.meter) : null;
  const upload = deps.inFlight.enter({ door: "multipart", userId: input.userId, uploadId: input.uploadId, reporter, release });
  const context = { uploadId: input.uploadId, userId: input.userId };
  staging.log.info({ ...context, bytesTotal: input.meter?.bytesTotal ?? null }, "upload started");
  const stopReceiving = reporter?.trackReceiving();
  let outcome: UploadOutcome;
  let failure: unknown;
  try {
    let received: ReceivedFile;
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
    outcome = { phase: "READY", image };
  } catch (thrown) {
    // A database that went away or a disk that filled up is said as such, not as an internal error.
    failure = unavailabilityOf(thrown) ?? thrown;
    outcome = failure instanceof UploadAbortedError || input.meter?.aborted ? { phase: "ABORTED" } : { phase: "FAILED", error: failure };
  } finally {
    staging.metrics.receivedBytes.inc(input.meter?.bytesReceived ?? 0);
  }
  await deps.inFlight.finish(upload, outcome);
  if (outcome.phase === "READY") return outcome.image;
  throw failure;
}
