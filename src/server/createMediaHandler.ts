import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { LRUCache } from "lru-cache";
import parseRange from "range-parser";
import { RETRY_AFTER_SECONDS } from "../errors/asServiceUnavailable.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { IMMUTABLE_CACHE_CONTROL } from "../storage/immutableCacheControl.js";
import type { Deletions } from "../storage/notifyDeletes.js";
import type { Storage } from "../storage/Storage.js";
import { isStorageKey } from "../storage/storageKey.js";

export const MEDIA_PREFIX = "/media/";

/** What serving a key needs, worked out once per key. */
interface Described {
  /** When the database last said the key may be served (performance.now()). */
  checkedAt: number;
  readonly byteSize: number;
  readonly etag: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The whole content, for a small file (a thumbnail): served from memory. */
  readonly bytes?: Buffer;
}

/** Files up to this size are kept in memory once served (thumbnails are a few KiB). */
const SMALL_FILE_BYTES = 64 * 1024;

/**
 * GET and HEAD of `/media/<key>`: only keys that the database knows and that
 * are not deleted, with the stored content type (never guessed from the path),
 * a strong ETag (keys are never reused, so a key names one content forever),
 * immutable caching, and single byte ranges. Everything else is 404.
 *
 * A key's content, and so its type and size, never changes: they are
 * remembered (`cacheSize` keys) instead of asked of the storage on every
 * request, and so are the bytes of small files (`cacheBytes` in all), which
 * are then answered from memory without opening the file.
 *
 * Whether a key may still be served is the database's to say. Its answer is
 * kept for `revalidateMs` (1 s): every file staging deletes is forgotten at
 * once (`deletions`), so a discarded or replaced image is 404 at once on this
 * instance, for every request form (GET, HEAD, Range, If-None-Match); an
 * image marked deleted whose files stay for the sweeper, or one deleted by
 * another instance, is 404 here within `revalidateMs`. Asking on every
 * request capped this route at about 1 000 requests a second on the embedded
 * database (bench B6).
 * If-None-Match follows RFC 9110 §13.1.2: weak comparison, and `*`.
 *
 * A database or storage that cannot answer is 503 with Retry-After, never a
 * 404 (the file is not gone) nor a 500; a rendition rendered again on a miss
 * past its image's renders for the minute is 429 with Retry-After.
 */
export function createMediaHandler(
  deps: {
    /** The content type a key may be served with, or undefined (404): staging's servableContentType. */
    contentTypeOf(key: string): Promise<string | undefined>;
    storage: Storage;
    deletions: Deletions;
    onUnavailable(error: unknown, key: string): void;
  },
  {
    cacheSize = 10_000, // keys whose answer is remembered
    cacheBytes = 32 * 1024 * 1024, // 32 MiB of them, small files' bytes included
    revalidateMs = 1_000, // 1 s before a remembered answer is asked again
  }: { cacheSize?: number; cacheBytes?: number; revalidateMs?: number } = {},
) {
  const known = new LRUCache<string, Described>({
    max: cacheSize,
    maxSize: cacheBytes,
    sizeCalculation: (described) => 512 + (described.bytes?.length ?? 0),
  });
  // Counts deletions, so that a description begun before one is not remembered after it.
  let deleted = 0;
  deps.deletions.onDeleted((key) => {
    deleted += 1;
    known.delete(key);
  });
  async function describe(key: string) {
    if (!isStorageKey(key)) return undefined;
    const cached = known.get(key);
    if (cached && performance.now() - cached.checkedAt < revalidateMs) return cached;
    const checkedAt = performance.now();
    const deletedBefore = deleted;
    const contentType = await deps.contentTypeOf(key);
    if (!contentType) {
      known.delete(key);
      return undefined;
    }
    if (cached) {
      cached.checkedAt = checkedAt;
      return cached;
    }
    const stat = await deps.storage.stat(key);
    if (!stat) return undefined;
    const bytes = stat.byteSize <= SMALL_FILE_BYTES ? await readSmall(deps.storage, key, stat.byteSize) : undefined;
    const etag = `"${createHash("sha256").update(key).digest("base64url").slice(0, 32)}"`;
    const found: Described = {
      checkedAt,
      byteSize: stat.byteSize,
      etag,
      headers: {
        "content-type": contentType,
        etag,
        "cache-control": IMMUTABLE_CACHE_CONTROL,
        "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'none'; sandbox",
        "accept-ranges": "bytes",
        "last-modified": stat.modifiedAt.toUTCString(),
      },
      ...(bytes ? { bytes } : {}),
    };
    if (deleted === deletedBefore) known.set(key, found);
    return found;
  }
  const notFound = (response: ServerResponse) => {
    response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
    response.end("Not found\n");
  };
  /** A key described before whose file is gone. */
  const forget = (key: string, response: ServerResponse) => {
    known.delete(key);
    notFound(response);
  };
  /** The store or the database cannot answer now; the file may well be there. */
  const unavailable = (error: unknown, key: string, response: ServerResponse) => {
    if (error instanceof UpstageError && error.code === ErrorCode.RateLimited) {
      response.writeHead(429, { "content-type": "text/plain; charset=utf-8", "retry-after": "60" }).end(`${error.message}\n`);
      return;
    }
    deps.onUnavailable(error, key);
    response
      .writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": String(RETRY_AFTER_SECONDS) })
      .end("The media storage cannot serve now; try again later.\n");
  };
  /** A read that failed before its first byte: 404 when the file is gone, 503 when the store cannot say. */
  const readFailed = async (error: unknown, key: string, response: ServerResponse) => {
    const still = await deps.storage.stat(key).then(
      (stat) => (stat ? "there" : "gone"),
      () => "unknown",
    );
    if (still === "gone") forget(key, response);
    else unavailable(error, key, response);
  };

  return async function serveMedia(request: IncomingMessage, response: ServerResponse, pathname: string): Promise<void> {
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const key = pathname.slice(MEDIA_PREFIX.length);
    let stat: Described | undefined;
    try {
      stat = await describe(key);
    } catch (error) {
      return unavailable(error, key, response);
    }
    if (!stat) return notFound(response);
    const { etag } = stat;
    const headers: Record<string, string | number> = { ...stat.headers };
    if (matchesIfNoneMatch(request.headers["if-none-match"], etag)) {
      response.writeHead(304, headers).end();
      return;
    }

    let range: { start: number; end: number } | undefined;
    const rangeHeader = request.headers.range;
    const ifRange = request.headers["if-range"];
    if (rangeHeader && (!ifRange || ifRange === etag)) {
      const ranges = parseRange(stat.byteSize, rangeHeader, { combine: true });
      if (ranges === -1) {
        response.writeHead(416, { ...headers, "content-range": `bytes */${stat.byteSize}` }).end();
        return;
      }
      // A malformed header (-2) or several ranges are answered with the whole file.
      if (ranges !== -2 && ranges.type === "bytes" && ranges.length === 1) range = ranges[0];
    }

    if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${stat.byteSize}`;
    headers["content-length"] = range ? range.end - range.start + 1 : stat.byteSize;
    if (stat.bytes) {
      response.writeHead(range ? 206 : 200, headers);
      response.end(request.method === "HEAD" ? undefined : range ? stat.bytes.subarray(range.start, range.end + 1) : stat.bytes);
      return;
    }
    if (request.method === "HEAD") {
      let there: Awaited<ReturnType<Storage["stat"]>>;
      try {
        there = await deps.storage.stat(key);
      } catch (error) {
        return unavailable(error, key, response);
      }
      if (!there) return forget(key, response);
      response.writeHead(range ? 206 : 200, headers).end();
      return;
    }
    // Headers are set, not sent: they leave with the first byte. A file gone
    // since it was described fails before that, and is still a 404; a store
    // that cannot answer is a 503.
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.statusCode = range ? 206 : 200;
    const body = deps.storage.read(key, range);
    await new Promise<void>((resolve) => {
      body.once("error", (error) => {
        if (response.headersSent) {
          response.destroy();
          return resolve();
        }
        for (const name of Object.keys(headers)) response.removeHeader(name);
        void readFailed(error, key, response).then(resolve);
      });
      response.once("close", () => {
        body.destroy();
        resolve();
      });
      body.pipe(response);
    });
  };
}

/** The whole of a small stored file, or undefined when it is not all there (it is then streamed, and fails as it would). */
async function readSmall(storage: Storage, key: string, byteSize: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of storage.read(key) as AsyncIterable<Buffer>) chunks.push(chunk);
  } catch {
    return undefined;
  }
  const bytes = Buffer.concat(chunks);
  return bytes.length === byteSize ? bytes : undefined;
}

/**
 * RFC 9110 §13.1.2: `*` matches any current representation; otherwise the
 * list of entity tags is compared weakly (`W/"x"` matches `"x"`).
 */
function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  const opaque = etag.replace(/^W\//, "");
  // An entity tag is `"…"` with no `"` inside, so the list splits on its quotes, not on commas.
  return (header.match(/(?:W\/)?"[^"]*"/g) ?? []).some((tag) => tag.replace(/^W\//, "") === opaque);
}
