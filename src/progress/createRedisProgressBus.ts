import { Redis } from "ioredis";
import { createEventQueue, type EventQueue } from "./createEventQueue.js";
import { DEFAULT_WAIT_FOR_START_MS, type ProgressBus, type ProgressBusOptions } from "./ProgressBus.js";
import { isTerminal, type UploadEvent } from "./UploadEvent.js";

export interface RedisProgressBusOptions extends ProgressBusOptions {
  readonly url: string;
  /** Seconds an upload's last state is kept after its last event. @default 600 (10 minutes) */
  readonly retainSeconds?: number;
  readonly keyPrefix?: string;
  /** Told of connection errors, at most once per `errorLogIntervalMs` (10 s) per connection. */
  readonly onConnectionError?: (error: Error, connection: "commands" | "listener") => void;
  /** @default 10_000 (10 s) */
  readonly errorLogIntervalMs?: number;
}

interface Subscriber {
  readonly queue: EventQueue<UploadEvent>;
  /** The highest sequence number delivered; replays and duplicates at or below it are dropped. */
  seen: number;
}

/**
 * The progress bus across instances: Redis pub/sub carries live events (one
 * channel per upload, so no cross-talk), a key keeps each upload's last event
 * for late subscribers. One connection publishes (so an upload's events stay
 * in order) and one subscribes for the whole instance.
 *
 * Redis going away never holds an upload: a publish fails fast, and the last
 * event of each upload that could not be published is published again once
 * Redis is back; every subscriber then rereads its upload's last state, so
 * it catches up on what it missed (the sequence numbers drop repeats).
 */
export async function createRedisProgressBus({
  retainSeconds = 600, // 10 minutes
  keyPrefix: prefix = "upstage:upload:",
  waitForStartMs = DEFAULT_WAIT_FOR_START_MS,
  errorLogIntervalMs = 10_000, // 10 s
  ...options
}: RedisProgressBusOptions): Promise<ProgressBus> {
  let up = false;
  const connect = async (name: "commands" | "listener") => {
    // No offline queue: while Redis is away a command fails at once instead of
    // waiting for it (unpublished events are kept below and sent on return).
    // The listener's subscriptions wait for Redis instead (ioredis renews them on reconnect).
    const redis =
      name === "commands"
        ? new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false })
        : new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: null });
    let lastLogged = 0;
    let lastError: Error | undefined;
    redis.on("error", (error: Error) => {
      lastError = error;
      // Until the bus is up, a failure is the start's to report, once.
      if (!up || Date.now() - lastLogged < errorLogIntervalMs) return;
      lastLogged = Date.now();
      options.onConnectionError?.(error, name);
    });
    try {
      await redis.connect();
    } catch (error) {
      // No retrying in the background for a bus that never came up.
      redis.disconnect();
      throw lastError ?? error;
    }
    return redis;
  };
  const commands = await connect("commands");
  const listener = await connect("listener").catch((error: unknown) => {
    commands.disconnect();
    throw error;
  });
  up = true;
  /** Per upload, the newest event that could not be published; sent again when Redis is back. */
  const unsent = new Map<string, UploadEvent>();
  const subscribers = new Map<string, Set<Subscriber>>();
  /** Per upload: resolves once this instance listens on its channel. */
  const listening = new Map<string, Promise<unknown>>();

  const channelOf = (uploadId: string) => `${prefix}${uploadId}:events`;
  const lastKeyOf = (uploadId: string) => `${prefix}${uploadId}:last`;

  function deliver(subscriber: Subscriber, event: UploadEvent): void {
    if (event.seq <= subscriber.seen) return;
    subscriber.seen = event.seq;
    subscriber.queue.push(event);
    if (isTerminal(event.phase)) subscriber.queue.end();
  }

  async function send(event: UploadEvent): Promise<void> {
    const message = JSON.stringify(event);
    await commands.multi().set(lastKeyOf(event.uploadId), message, "EX", retainSeconds).publish(channelOf(event.uploadId), message).exec();
  }

  /** Delivers an upload's last known state to its subscribers here (repeats are dropped by seq). */
  async function replay(uploadId: string, to: Iterable<Subscriber>): Promise<void> {
    const last = await commands.get(lastKeyOf(uploadId));
    if (last) for (const subscriber of to) deliver(subscriber, JSON.parse(last) as UploadEvent);
  }

  /**
   * After Redis comes back: publishes each upload's newest unsent event, then
   * gives every subscriber here its upload's last state (repeats are dropped
   * by seq). Runs when either connection is ready again; needs both.
   */
  async function catchUp(): Promise<void> {
    if (commands.status !== "ready") return;
    for (const [uploadId, event] of unsent) {
      try {
        await send(event);
        if (unsent.get(uploadId) === event) unsent.delete(uploadId);
      } catch {
        return; // gone again: the next 'ready' tries again
      }
    }
    for (const [uploadId, set] of subscribers) await replay(uploadId, set).catch(() => {});
  }
  // Both are connected by now, so each 'ready' from here on is a reconnect.
  // (ioredis subscribes the listener again by itself.)
  commands.on("ready", () => void catchUp());
  listener.on("ready", () => void catchUp());

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
    async publish(event) {
      try {
        await send(event);
        const waiting = unsent.get(event.uploadId);
        if (waiting && waiting.seq <= event.seq) unsent.delete(event.uploadId);
      } catch (error) {
        const waiting = unsent.get(event.uploadId);
        if (!waiting || waiting.seq < event.seq) unsent.set(event.uploadId, event);
        throw error;
      }
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
      if (!set) {
        set = new Set();
        subscribers.set(uploadId, set);
      }
      set.add(subscriber);
      let ready = listening.get(uploadId);
      if (!ready) {
        ready = listener.subscribe(channelOf(uploadId));
        listening.set(uploadId, ready);
      }
      // Listen first, then read the last state: an event published in between
      // arrives both ways and is dropped once by its sequence number.
      void (async () => {
        try {
          await ready;
          await replay(uploadId, [subscriber]);
        } catch {
          // Redis is away: the replay after its return catches this subscriber up.
        }
      })();
      return Object.assign(subscriber.queue.iterator, {
        live: ready.then(
          () => undefined,
          () => undefined,
        ),
      });
    },

    async check() {
      await Promise.all([commands.ping(), listener.ping()]);
    },

    async close() {
      for (const set of subscribers.values()) for (const subscriber of set) subscriber.queue.end();
      subscribers.clear();
      unsent.clear();
      listener.disconnect();
      await commands.quit().catch(() => commands.disconnect());
    },
  };
}
