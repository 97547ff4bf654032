// tus's Locker over Redis, so two instances never write one upload at once:
// the lock is a Redlock (@sesamecare-oss/redlock, the maintained fork of
// node-redlock) kept alive while held, and an instance that wants a lock
// another holds asks it, over pub/sub, to let go (tus's requestRelease: the
// older request for an upload is the one that gives way).
import { Redlock, type Lock as RedlockLock } from "@sesamecare-oss/redlock";
import { ERRORS, type Lock, type Locker, type RequestRelease } from "@tus/server";
import { Redis } from "ioredis";

const RELEASE_CHANNEL = "upstage:tus:release";
const KEY_PREFIX = "upstage:tus:lock:";

export interface RedisLocker extends Locker {
  close(): Promise<void>;
}

export interface RedisLockerOptions {
  /** How long a lock lives unless renewed. @default 10_000 (10 s) */
  readonly ttlMs?: number;
  /** How long a request waits for a lock before tus answers 423. @default 30_000 (30 s) */
  readonly acquireTimeoutMs?: number;
  /** A connection's error while Redis is away (ioredis reconnects by itself); without it ioredis prints "Unhandled error event". */
  readonly onConnectionError?: (error: Error, connection: "locks" | "release requests") => void;
}

export async function createRedisLocker(
  url: string,
  {
    ttlMs = 10_000, // 10 s
    acquireTimeoutMs = 30_000, // 30 s
    ...options
  }: RedisLockerOptions = {},
): Promise<RedisLocker> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  const subscriber = new Redis(url, { lazyConnect: true });
  client.on("error", (error: Error) => options.onConnectionError?.(error, "locks"));
  subscriber.on("error", (error: Error) => options.onConnectionError?.(error, "release requests"));
  await Promise.all([client.connect(), subscriber.connect()]);
  const redlock = new Redlock([client], { retryCount: 0 });
  /** The locks this instance holds, with how to ask their requests to let go. */
  const held = new Map<string, RequestRelease>();
  await subscriber.subscribe(RELEASE_CHANNEL);
  subscriber.on("message", (_channel, id: string) => void held.get(id)?.());

  return {
    newLock(id: string): Lock {
      let lock: RedlockLock | undefined;
      let keepAlive: NodeJS.Timeout | undefined;
      return {
        async lock(signal, requestRelease) {
          const deadline = Date.now() + acquireTimeoutMs;
          for (;;) {
            try {
              lock = await redlock.acquire([KEY_PREFIX + id], ttlMs);
              break;
            } catch {
              if (signal.aborted || Date.now() > deadline) throw ERRORS.ERR_LOCK_TIMEOUT;
              // Held elsewhere (or here): ask its holder to let go, then try again.
              await client.publish(RELEASE_CHANNEL, id).catch(() => undefined);
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          }
          held.set(id, requestRelease);
          keepAlive = setInterval(() => {
            lock?.extend(ttlMs).then(
              (extended) => (lock = extended),
              () => undefined,
            );
          }, ttlMs / 3);
          keepAlive.unref();
        },
        async unlock() {
          clearInterval(keepAlive);
          held.delete(id);
          await lock?.release().catch(() => undefined);
          lock = undefined;
        },
      };
    },
    async close() {
      await Promise.allSettled([client.quit(), subscriber.quit()]);
    },
  };
}
