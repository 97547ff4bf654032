import type { UploadEvent } from "./UploadEvent.js";

/** An upload's events, as one subscriber hears them. */
export interface ProgressSubscription extends AsyncIterableIterator<UploadEvent> {
  /**
   * Settles once every event published from now on reaches this subscriber
   * (at once in memory; once Redis has confirmed the channel's SUBSCRIBE, or
   * has failed to, with Redis). Before that only the last state is certain.
   */
  readonly live: Promise<void>;
}

/**
 * Carries upload progress from the instance receiving an upload to every
 * subscriber of its uploadId. Best-effort: who owns an uploadId is kept in the
 * database (db/uploadClaimQueries), not here.
 */
export interface ProgressBus {
  publish(event: UploadEvent): Promise<void>;
  /**
   * The upload's events: the last known one first, then each new one, ending
   * after a terminal event, or with none when the upload does not begin within
   * the bus's wait bound. `return()` unsubscribes at once.
   */
  subscribe(uploadId: string): ProgressSubscription;
  /** Throws unless the bus can carry events (for /readyz). */
  check(): Promise<void>;
  close(): Promise<void>;
}

export interface ProgressBusOptions {
  /** Milliseconds a subscription waits for its upload's first event before it ends. */
  readonly waitForStartMs?: number;
}

/** Five minutes: a user who picked a file and walked away. */
export const DEFAULT_WAIT_FOR_START_MS = 5 * 60 * 1000;
