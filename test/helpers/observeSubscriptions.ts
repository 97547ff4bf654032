import type { ProgressBus } from "../../src/progress/ProgressBus.js";

export interface SubscriptionObserver {
  /** The server's bus, seen through: for ServerOverrides.wrapProgressBus. */
  wrap(bus: ProgressBus): ProgressBus;
  /** Resolves once `count` subscriptions to `uploadId` hear every event published after (their `live`). */
  subscribed(uploadId: string, count?: number): Promise<void>;
}

/**
 * Watches a server's progress bus for subscriptions becoming live, so that a
 * test starts an upload once its subscriber will hear every event: the event
 * itself, not a pause that is long enough on a quiet machine.
 */
export function observeSubscriptions(): SubscriptionObserver {
  const live = new Map<string, number>();
  const waiters = new Set<{ uploadId: string; count: number; resolve: () => void }>();
  const settle = () => {
    for (const waiter of waiters) {
      if ((live.get(waiter.uploadId) ?? 0) >= waiter.count) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };
  return {
    wrap: (bus) => ({
      publish: (event) => bus.publish(event),
      subscribe(uploadId) {
        const subscription = bus.subscribe(uploadId);
        void subscription.live.then(() => {
          live.set(uploadId, (live.get(uploadId) ?? 0) + 1);
          settle();
        });
        return subscription;
      },
      check: () => bus.check(),
      close: () => bus.close(),
    }),
    subscribed(uploadId, count = 1) {
      return new Promise((resolve) => {
        waiters.add({ uploadId, count, resolve });
        settle();
      });
    },
  };
}
