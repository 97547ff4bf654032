import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Knex } from "knex";
import { LRUCache } from "lru-cache";
import parseRange from "range-parser";
import { findServableContentType } from "../db/imageQueries.js";
import type { Storage } from "../storage/Storage.js";
import { isStorageKey } from "../storage/storageKey.js";

export const MEDIA_PREFIX = "/media/";

const ONE_YEAR_SECONDS = 31_536_000;

/** What serving a key needs, worked out once per key. */
interface Described {
  readonly byteSize: number;
  readonly etag: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * GET and HEAD of `/media/<key>`: only keys that the database knows and that
 * are not deleted, with the stored content type (never guessed from the path),
 * a strong ETag (keys are never reused, so a key names one content forever),
 * immutable caching, and single byte ranges. Everything else is 404.
 *
 * A key's content, and so its type and size, never changes: they are
 * remembered (`cacheSize` keys) instead of asked of the storage on every
 * request. Whether the key may still be served is asked of the database on
 * every request (one indexed lookup), so a discarded or replaced image is 404
 * at once, for every request form: GET, HEAD, Range and If-None-Match alike.
 * If-None-Match follows RFC 9110 §13.1.2: weak comparison, and `*`.
 */
export function createMediaHandler(
  deps: { knex: Knex; storage: Storage },
  options: { cacheSize?: number } = {},
) {
  const known = new LRUCache<string, Described>({ max: options.cacheSize ?? 10_000 });
  async function describe(key: string) {
    if (!isStorageKey(key)) return undefined;
    const contentType = await findServableContentType(deps.knex, key);
    if (!contentType) {
      known.delete(key);
      return undefined;
    }
    const cached = known.get(key);
    if (cached) return cached;
    const stat = await deps.storage.stat(key);
    if (!stat) return undefined;
    const etag = `"${createHash("sha256").update(key).digest("base64url").slice(0, 32)}"`;
    const found: Described = {
      byteSize: stat.byteSize,
      etag,
      headers: {
        "content-type": contentType,
        etag,
        "cache-control": `public, max-age=${ONE_YEAR_SECONDS}, immutable`,
        "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'none'; sandbox",
        "accept-ranges": "bytes",
        "last-modified": stat.modifiedAt.toUTCString(),
      },
    };
    known.set(key, found);
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

  return async function serveMedia(request: IncomingMessage, response: ServerResponse, pathname: string): Promise<void> {
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const key = pathname.slice(MEDIA_PREFIX.length);
    const stat = await describe(key);
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
    if (request.method === "HEAD") {
      if (!(await deps.storage.stat(key))) return forget(key, response);
      response.writeHead(range ? 206 : 200, headers).end();
      return;
    }
    // Headers are set, not sent: they leave with the first byte. A file gone
    // since it was described fails before that, and is still a 404.
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.statusCode = range ? 206 : 200;
    const body = deps.storage.read(key, range);
    await new Promise<void>((resolve) => {
      body.once("error", () => {
        if (response.headersSent) response.destroy();
        else {
          for (const name of Object.keys(headers)) response.removeHeader(name);
          forget(key, response);
        }
        resolve();
      });
      response.once("close", () => {
        body.destroy();
        resolve();
      });
      body.pipe(response);
    });
  };
}

/**
 * RFC 9110 §13.1.2: `*` matches any current representation; otherwise the
 * list of entity tags is compared weakly (`W/"x"` matches `"x"`).
 */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  const opaque = etag.replace(/^W\//, "");
  // An entity tag is `"…"` with no `"` inside, so the list splits on its quotes, not on commas.
  return (header.match(/(?:W\/)?"[^"]*"/g) ?? []).some((tag) => tag.replace(/^W\//, "") === opaque);
}
