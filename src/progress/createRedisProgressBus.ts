import { Redis } from "ioredis";
import { createEventQueue, type EventQueue } from "./createEventQueue.js";
import { DEFAULT_WAIT_FOR_START_MS, type ProgressBus, type ProgressBusOptions } from "./ProgressBus.js";
import { isTerminal, type UploadEvent } from "./UploadEvent.js";

export interface RedisProgressBusOptions extends ProgressBusOptions {
  readonly url: string;
  /** Seconds an upload's owner and last state are kept after its last event. */
  readonly retainSeconds?: number;
  readonly keyPrefix?: string;
}

interface Subscriber {
  readonly queue: EventQueue<UploadEvent>;
  /** The highest sequence number delivered; replays and duplicates at or below it are dropped. */
  seen: number;
}

/**
 * The progress bus across instances: Redis pub/sub carries live events (one
 * channel per upload, so no cross-talk), a key keeps each upload's last event
 * for late subscribers, and `SET NX` makes the first user of an uploadId its
 * owner everywhere. One connection publishes (so an upload's events stay in
 * order) and one subscribes for the whole instance.
 */
export async function createRedisProgressBus(options: RedisProgressBusOptions): Promise<ProgressBus> {
  const retainSeconds = options.retainSeconds ?? 600; // 10 minutes
  const prefix = options.keyPrefix ?? "upstage:upload:";
  const waitForStartMs = options.waitForStartMs ?? DEFAULT_WAIT_FOR_START_MS;
  const connect = async () => {
    const redis = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    await redis.connect();
    return redis;
  };
  const commands = await connect();
  const listener = await connect();
  const subscribers = new Map<string, Set<Subscriber>>();
  /** Per upload: resolves once this instance listens on its channel. */
  const listening = new Map<string, Promise<unknown>>();

  const channelOf = (uploadId: string) => `${prefix}${uploadId}:events`;
  const lastKeyOf = (uploadId: string) => `${prefix}${uploadId}:last`;
  const ownerKeyOf = (uploadId: string) => `${prefix}${uploadId}:owner`;

  function deliver(subscriber: Subscriber, event: UploadEvent): void {
    if (event.seq <= subscriber.seen) return;
    subscriber.seen = event.seq;
    subscriber.queue.push(event);
    if (isTerminal(event.phase)) subscriber.queue.end();
  }

  listener.on("message", (channel: string, message: string) => {
    const uploadId = channel.slice(prefix.length, -":events".length);
    const event = JSON.parse(message) as UploadEvent;
    for (const subscriber of subscribers.get(uploadId) ?? []) deliver(subscriber, event);
  });

  async function unsubscribe(uploadId: string, subscriber: Subscriber): Promise<void> {
    const set = subscribers.get(uploadId);
    if (!set) return;
    set.delete(subscriber);
    if (set.size === 0) {
      subscribers.delete(uploadId);
      listening.delete(uploadId);
      await listener.unsubscribe(channelOf(uploadId)).catch(() => {});
    }
  }

  return {
    async claim(uploadId, userId) {
      const key = ownerKeyOf(uploadId);
      const set = await commands.set(key, userId, "EX", retainSeconds, "NX");
      if (set === "OK") return true;
      const owner = await commands.get(key);
      if (owner !== userId) return false;
      await commands.expire(key, retainSeconds);
      return true;
    },

    async publish(event) {
      const message = JSON.stringify(event);
      await commands
        .multi()
        .set(lastKeyOf(event.uploadId), message, "EX", retainSeconds)
        .expire(ownerKeyOf(event.uploadId), retainSeconds)
        .publish(channelOf(event.uploadId), message)
        .exec();
    },

    subscribe(uploadId) {
      const subscriber: Subscriber = {
        queue: createEventQueue<UploadEvent>({
          onClose: () => void unsubscribe(uploadId, subscriber),
          firstValueWithinMs: waitForStartMs,
        }),
        seen: 0,
      };
      let set = subscribers.get(uploadId);
      if (!set) subscribers.set(uploadId, (set = new Set()));
      set.add(subscriber);
      let ready = listening.get(uploadId);
      if (!ready) listening.set(uploadId, (ready = listener.subscribe(channelOf(uploadId))));
      // Listen first, then read the last state: an event published in between
      // arrives both ways and is dropped once by its sequence number.
      void (async () => {
        try {
          await ready;
          const last = await commands.get(lastKeyOf(uploadId));
          if (last) deliver(subscriber, JSON.parse(last) as UploadEvent);
        } catch {
          subscriber.queue.end();
        }
      })();
      return subscriber.queue.iterator;
    },

    async check() {
      await Promise.all([commands.ping(), listener.ping()]);
    },

    async close() {
      for (const set of subscribers.values()) for (const subscriber of set) subscriber.queue.end();
      subscribers.clear();
      listener.disconnect();
      await commands.quit();
    },
  };
}
