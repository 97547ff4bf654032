import pLimit from "p-limit";

/** Image work (decodes, encodes), run first come, first served, a few at a time. */
export interface ImageQueue {
  /** Runs `job` when a place is free; resolves or rejects with it. */
  run<T>(job: () => Promise<T>): Promise<T>;
  /** Jobs running now, and waiting. */
  readonly active: number;
  readonly waiting: number;
  /** Resolves when nothing runs, or after `ms`; jobs still waiting then are dropped (their callers never hear back). */
  settle(ms: number): Promise<void>;
}

/**
 * A FIFO queue for sharp's work (p-limit: small, well-kept, first in first
 * out), `concurrency` jobs at a time (the cores by default). Every upload
 * being processed at once makes each wait for all the others; queued, the
 * early ones finish early, and libuv's thread pool keeps room for file
 * system calls and health checks. Receiving is never queued: only the image
 * work after it.
 */
export function createImageQueue(concurrency: number): ImageQueue {
  const limit = pLimit(concurrency);
  const running = new Set<Promise<unknown>>();
  return {
    run: (job) =>
      limit(() => {
        const started = job();
        running.add(started);
        return started.finally(() => running.delete(started));
      }),
    get active() {
      return limit.activeCount;
    },
    get waiting() {
      return limit.pendingCount;
    },
    async settle(ms) {
      limit.clearQueue();
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
      await Promise.race([Promise.allSettled([...running]), bound]);
      clearTimeout(timer);
    },
  };
}
