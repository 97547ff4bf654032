import { createEventQueue, type EventQueue } from "./createEventQueue.js";
import { DEFAULT_WAIT_FOR_START_MS, type ProgressBus, type ProgressBusOptions } from "./ProgressBus.js";
import { isTerminal, type UploadEvent } from "./UploadEvent.js";

interface UploadEntry {
  last: UploadEvent | undefined;
  readonly subscribers: Set<EventQueue<UploadEvent>>;
  expiry: NodeJS.Timeout | undefined;
}

/**
 * The in-process bus: enough for one instance. Each upload's last state is
 * kept for `retainMs` after its last event, so a late subscriber still gets
 * the outcome.
 */
export function createMemoryProgressBus({
  retainMs = 10 * 60 * 1000, // 10 minutes
  waitForStartMs = DEFAULT_WAIT_FOR_START_MS,
}: ProgressBusOptions & { retainMs?: number } = {}): ProgressBus {
  const uploads = new Map<string, UploadEntry>();

  function entryOf(uploadId: string): UploadEntry {
    let entry = uploads.get(uploadId);
    if (!entry) {
      entry = { last: undefined, subscribers: new Set(), expiry: undefined };
      uploads.set(uploadId, entry);
    }
    return entry;
  }

  function retain(uploadId: string, entry: UploadEntry): void {
    clearTimeout(entry.expiry);
    entry.expiry = setTimeout(() => {
      if (entry.subscribers.size === 0) uploads.delete(uploadId);
      else retain(uploadId, entry);
    }, retainMs);
    entry.expiry.unref();
  }

  return {
    async publish(event) {
      const entry = entryOf(event.uploadId);
      entry.last = event;
      retain(event.uploadId, entry);
      for (const queue of entry.subscribers) {
        queue.push(event);
        if (isTerminal(event.phase)) queue.end();
      }
    },

    subscribe(uploadId) {
      const entry = entryOf(uploadId);
      const queue = createEventQueue<UploadEvent>({
        onClose: () => entry.subscribers.delete(queue),
        firstValueWithinMs: waitForStartMs,
      });
      if (entry.last) {
        queue.push(entry.last);
        if (isTerminal(entry.last.phase)) queue.end();
      }
      entry.subscribers.add(queue);
      return Object.assign(queue.iterator, { live: Promise.resolve() });
    },

    async check() {},

    async close() {
      for (const entry of uploads.values()) {
        clearTimeout(entry.expiry);
        for (const queue of entry.subscribers) queue.end();
      }
      uploads.clear();
    },
  };
}
