import type { IncomingMessage } from "node:http";

/** The upload requests in flight on this instance. */
export interface UploadTracker {
  /**
   * Counts an upload as in flight until the returned release is called (when
   * its handling is over, events published and response written).
   * @returns undefined when the user already has `maxPerUser` in flight.
   */
  admit(userId: string, request: IncomingMessage): (() => void) | undefined;
  readonly size: number;
  /**
   * Waits up to `graceMs` for the uploads in flight to finish, then runs
   * `beforeCut` (which ends them for their subscribers), cuts the rest (their
   * clients see the connection close) and waits for them to wind up.
   */
  drain(graceMs: number, beforeCut?: () => Promise<void>): Promise<void>;
}

/** Per-user concurrency for uploads, and the list `stop()` drains. */
export function createUploadTracker(options: { maxPerUser: number }): UploadTracker {
  const inFlight = new Map<IncomingMessage, string>();
  const perUser = new Map<string, number>();
  const waiters = new Set<() => void>();

  function release(request: IncomingMessage): void {
    const userId = inFlight.get(request);
    if (userId === undefined) return;
    inFlight.delete(request);
    const count = (perUser.get(userId) ?? 1) - 1;
    if (count > 0) perUser.set(userId, count);
    else perUser.delete(userId);
    if (inFlight.size === 0) for (const wake of waiters) wake();
  }

  /** Resolves when nothing is in flight, or after `ms`. */
  function settled(ms: number): Promise<void> {
    if (inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      waiters.add(wake);
    });
  }

  return {
    admit(userId, request) {
      const count = perUser.get(userId) ?? 0;
      if (count >= options.maxPerUser) return undefined;
      perUser.set(userId, count + 1);
      inFlight.set(request, userId);
      return () => release(request);
    },
    get size() {
      return inFlight.size;
    },
    async drain(graceMs, beforeCut) {
      await settled(graceMs);
      if (inFlight.size > 0) await beforeCut?.();
      for (const request of inFlight.keys()) request.destroy();
      await settled(5000);
    },
  };
}
