import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import type { BodyMeter } from "../uploads/meterRequestBody.js";
import type { ProgressBus } from "./ProgressBus.js";
import type { UploadEvent } from "./UploadEvent.js";

/** Publishes one upload's progress on the bus, in order; after a terminal event, nothing more. */
export interface ProgressReporter {
  /** Publishes RECEIVING as the body meter moves; returns the stop. */
  trackReceiving(): () => void;
  processing(): void;
  ready(stagedImageId: string): void;
  /** FAILED with the error's contract code, or ABORTED when the client went away. */
  failed(error: unknown): void;
  /** Resolves when everything published so far has reached the bus. */
  flushed(): Promise<void>;
}

export interface ProgressReporterOptions {
  /** Least time between two RECEIVING events, unless the whole percent changed. */
  readonly intervalMs?: number;
  readonly onPublishError: (error: unknown) => void;
}

/** An event as a phase says it; the reporter adds the id, the sequence number and the byte counts. */
type Payload = UploadEvent extends infer E ? (E extends UploadEvent ? Omit<E, "uploadId" | "seq" | "bytesReceived" | "bytesTotal" | "at"> : never) : never;

/**
 * RECEIVING events are throttled to one per `intervalMs` (100 ms) or whole
 * percent, whichever comes first, never one per chunk.
 */
export function createProgressReporter(
  bus: ProgressBus,
  uploadId: string,
  meter: BodyMeter,
  options: ProgressReporterOptions,
): ProgressReporter {
  const intervalMs = options.intervalMs ?? 100;
  let seq = 0;
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
    failed(error) {
      if (meter.aborted) {
        terminal({ phase: "ABORTED" });
        return;
      }
      const known = error instanceof UpstageError ? error : undefined;
      terminal({
        phase: "FAILED",
        error: known
          ? { code: known.code, message: known.message }
          : { code: ErrorCode.InternalServerError, message: "The upload failed on the server." },
      });
    },
    flushed: () => chain,
  };
}
