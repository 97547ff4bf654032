import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import type { ProgressBus } from "./ProgressBus.js";
import type { UploadEvent } from "./UploadEvent.js";

/** How many bytes of an upload have arrived; the reporter reads it and is told when it moves. */
export interface ByteCount {
  /** The whole, when known (a Content-Length). */
  readonly bytesTotal: number | null;
  readonly bytesReceived: number;
  /** True once every byte has arrived. */
  readonly ended: boolean;
  /** Calls `listener` after each change; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

/**
 * How long an upload's ending (or a request's) waits for its last events to
 * reach the bus: progress is best-effort, so an answer never waits longer on a
 * bus that is down.
 */
export const PROGRESS_FLUSH_MS = 1_000; // 1 s

/** A count that stands at `received` of `total` bytes: for the events an upload's door says outside any request's bytes. */
export function byteCountAt(total: number, received: number): ByteCount {
  return { bytesTotal: total, bytesReceived: received, ended: received >= total, onChange: () => () => {} };
}

/** Publishes one upload's progress on the bus, in order; after a terminal event, nothing more. */
export interface ProgressReporter {
  /** Publishes RECEIVING as the body meter moves; returns the stop. */
  trackReceiving(): () => void;
  processing(): void;
  ready(stagedImageId: string): void;
  /** FAILED with the error's contract code (INTERNAL_SERVER_ERROR for anything else). */
  failed(error: unknown): void;
  /** ABORTED: the client went away. */
  aborted(): void;
  /**
   * Resolves when everything published so far has reached the bus, or after
   * `maxWaitMs`, whichever is first: progress is best-effort, and an upload's
   * answer never waits long on a bus that is down.
   */
  flushed(maxWaitMs: number): Promise<void>;
}

export interface ProgressReporterOptions {
  /** Least time between two RECEIVING events, unless the whole percent changed. @default 100 (ms) */
  readonly intervalMs?: number;
  readonly onPublishError: (error: unknown) => void;
  /**
   * The sequence number to count on from. An upload told by several reporters
   * one after another (a resumable upload's PATCHes, on any instance) starts
   * each above the last, so no subscriber drops its events as repeats.
   */
  readonly seqFrom?: number;
}

/** An event as a phase says it; the reporter adds the id, the sequence number and the byte counts. */
type Payload = UploadEvent extends infer E
  ? E extends UploadEvent
    ? Omit<E, "uploadId" | "seq" | "bytesReceived" | "bytesTotal" | "at">
    : never
  : never;

/**
 * RECEIVING events are throttled to one per `intervalMs` (100 ms) or whole
 * percent, whichever comes first, never one per chunk.
 */
export function createProgressReporter(
  bus: ProgressBus,
  uploadId: string,
  meter: ByteCount,
  options: ProgressReporterOptions,
): ProgressReporter {
  const { intervalMs = 100 /* ms */ } = options;
  let seq = options.seqFrom ?? 0;
  let finished = false;
  let chain = Promise.resolve();

  function publish(payload: Payload): void {
    const event = {
      ...payload,
      uploadId,
      seq: ++seq,
      bytesReceived: meter.bytesReceived,
      bytesTotal: meter.bytesTotal,
      at: Date.now(),
    } as UploadEvent;
    // Each publish waits for the one before, so the bus sees them in order.
    chain = chain.then(() => bus.publish(event)).catch(options.onPublishError);
  }

  function terminal(payload: Payload): void {
    if (finished) return;
    finished = true;
    publish(payload);
  }

  return {
    trackReceiving() {
      let lastAt = 0;
      let lastPercent = -1;
      let lastBytes = -1;
      const send = () => {
        lastAt = Date.now();
        lastBytes = meter.bytesReceived;
        publish({ phase: "RECEIVING" });
      };
      const onChange = () => {
        if (finished) return;
        const percent = meter.bytesTotal ? Math.floor((meter.bytesReceived / meter.bytesTotal) * 100) : -1;
        if (meter.ended || Date.now() - lastAt >= intervalMs || percent > lastPercent) {
          lastPercent = percent;
          send();
        }
      };
      onChange();
      const unsubscribe = meter.onChange(onChange);
      return () => {
        unsubscribe();
        // The last word on bytes, unless it was just said.
        if (!finished && meter.bytesReceived !== lastBytes) send();
      };
    },
    processing() {
      if (!finished) publish({ phase: "PROCESSING" });
    },
    ready(stagedImageId) {
      terminal({ phase: "READY", stagedImageId });
    },
    aborted() {
      terminal({ phase: "ABORTED" });
    },
    failed(error) {
      const known = error instanceof UpstageError ? error : undefined;
      terminal({
        phase: "FAILED",
        error: known
          ? { code: known.code, message: known.message }
          : { code: ErrorCode.InternalServerError, message: "The upload failed on the server." },
      });
    },
    flushed(maxWaitMs) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs)));
      return Promise.race([chain, bound]).finally(() => clearTimeout(timer));
    },
  };
}
