import type { ErrorCode } from "../errors/ErrorCode.js";

/** The phases of an upload, in order; the last three are terminal. */
export type UploadPhase = "RECEIVING" | "PROCESSING" | "READY" | "FAILED" | "ABORTED";

interface UploadEventBase {
  readonly uploadId: string;
  /** 1, 2, 3 … per upload, in the order published; lets a subscriber drop what it has seen. */
  readonly seq: number;
  /** Bytes of the request body read from the network so far. */
  readonly bytesReceived: number;
  /** The request's Content-Length, when the client sent one. */
  readonly bytesTotal: number | null;
  /** Milliseconds since the epoch when the server read these bytes or reached this phase. */
  readonly at: number;
}

/**
 * One state of an upload as pushed to subscribers. Plain data (ids, not rows),
 * so it can cross a process boundary as JSON.
 */
export type UploadEvent = UploadEventBase &
  (
    | { readonly phase: "RECEIVING" | "PROCESSING" | "ABORTED" }
    | { readonly phase: "READY"; readonly stagedImageId: string }
    | { readonly phase: "FAILED"; readonly error: { readonly code: ErrorCode; readonly message: string } }
  );

export function isTerminal(phase: UploadPhase): boolean {
  switch (phase) {
    case "RECEIVING":
    case "PROCESSING":
      return false;
    case "READY":
    case "FAILED":
    case "ABORTED":
      return true;
  }
}
