// The one way out of an upload, whatever its door: its terminal event (READY,
// FAILED or ABORTED) published once, its outcome counted once, its log line,
// and what its admission reserved let go, once. A stopping server ends every
// upload still in here with ABORTED.
import type { ImageRow } from "../db/rows.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { PROGRESS_FLUSH_MS, type ProgressReporter } from "../progress/createProgressReporter.js";
import type { StagingDeps } from "../staging/StagingDeps.js";

/** The door an upload came in by. */
export type UploadDoor = "multipart" | "tus" | "direct";

/** How an upload ended. */
export type UploadOutcome =
  | { readonly phase: "READY"; readonly image: ImageRow }
  | { readonly phase: "FAILED"; readonly error: unknown }
  | { readonly phase: "ABORTED" };

/** An admitted upload on this instance: who, through which door, told to whom, and what to let go at its end. */
export interface UploadInFlight {
  readonly door: UploadDoor;
  readonly userId: string;
  /** The uploadId its progress goes out under, when there is one. */
  readonly uploadId: string | null;
  readonly reporter: ProgressReporter | null;
  /** Lets go of what admission reserved (the uploadId); called once, at the end. */
  readonly release: () => Promise<void>;
}

export interface UploadsInFlight {
  /** Counts `upload` as in flight here until it ends or leaves. */
  enter(upload: UploadInFlight): UploadInFlight;
  /** A request of a resumable upload is over but the upload is not (it resumes later): no event, nothing let go. */
  leave(upload: UploadInFlight): void;
  /** Ends the upload: the terminal event, the metric, the log line and the release, the first time only. */
  finish(upload: UploadInFlight, outcome: UploadOutcome): Promise<void>;
  /** Ends every upload still in flight with ABORTED (a server stopping). */
  abortAll(): Promise<void>;
  readonly size: number;
}

/** An ending waits at most PROGRESS_FLUSH_MS for its last events to reach the bus. */
export function createUploadsInFlight(deps: { readonly staging: Pick<StagingDeps, "log" | "metrics"> }): UploadsInFlight {
  const { log, metrics } = deps.staging;
  const open = new Set<UploadInFlight>();
  const ended = new WeakSet<UploadInFlight>();

  async function finish(upload: UploadInFlight, outcome: UploadOutcome): Promise<void> {
    if (ended.has(upload)) return;
    ended.add(upload);
    open.delete(upload);
    const { reporter } = upload;
    const context = { door: upload.door, uploadId: upload.uploadId, userId: upload.userId };
    switch (outcome.phase) {
      case "READY":
        reporter?.ready(outcome.image.id);
        metrics.uploads.inc({ outcome: "READY", code: "" });
        log.info({ ...context, imageId: outcome.image.id }, "upload staged");
        break;
      case "FAILED": {
        reporter?.failed(outcome.error);
        const code = outcome.error instanceof UpstageError ? outcome.error.code : ErrorCode.InternalServerError;
        metrics.uploads.inc({ outcome: "FAILED", code });
        log.info({ ...context, code }, "upload refused");
        break;
      }
      case "ABORTED":
        reporter?.aborted();
        metrics.uploads.inc({ outcome: "ABORTED", code: "" });
        log.info(context, "upload aborted");
        break;
      default:
        outcome satisfies never;
    }
    await Promise.all([
      upload
        .release()
        .catch((error: unknown) =>
          log.warn({ err: error, ...context }, "an upload's reservation was not released; it lapses with its lease"),
        ),
      reporter?.flushed(PROGRESS_FLUSH_MS),
    ]);
  }

  return {
    enter(upload) {
      if (!ended.has(upload)) open.add(upload);
      return upload;
    },
    leave(upload) {
      open.delete(upload);
    },
    finish,
    async abortAll() {
      await Promise.all([...open].map((upload) => finish(upload, { phase: "ABORTED" })));
    },
    get size() {
      return open.size;
    },
  };
}
