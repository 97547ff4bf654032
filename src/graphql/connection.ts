import type { ImageRow, PhotoWithImage } from "../db/rows.js";
import { refusals } from "../errors/refusals.js";

/**
 * Relay cursor connections (https://relay.dev/graphql/connections.htm):
 * forward paging with `first` and `after`. A cursor is opaque to clients:
 * base64url of its list's name and a key in that list, so one list's cursor
 * is refused by another.
 */

/** The largest page. */
const MAX_PAGE_SIZE = 100;

export interface Edge<T> {
  readonly cursor: string;
  readonly node: T;
}

export interface Connection<T> {
  readonly edges: readonly Edge<T>[];
  readonly pageInfo: {
    readonly hasNextPage: boolean;
    readonly endCursor: string | null;
    readonly hasPreviousPage: boolean;
    readonly startCursor: string | null;
  };
  /** Counted only when asked for. */
  readonly totalCount: () => Promise<number>;
}

export type PhotoConnectionModel = Connection<PhotoWithImage>;
export type PhotoEdgeModel = Edge<PhotoWithImage>;
export type ImageConnectionModel = Connection<ImageRow>;
export type ImageEdgeModel = Edge<ImageRow>;

/**
 * `first` as a page size.
 * @throws UpstageError BAD_USER_INPUT outside 1..MAX_PAGE_SIZE.
 */
export function pageSizeArgument(first: number | null | undefined, fallback: number): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw refusals.badPageSize(MAX_PAGE_SIZE, size);
  }
  return size;
}

export function encodeCursor(list: string, key: unknown): string {
  return Buffer.from(JSON.stringify([list, key])).toString("base64url");
}

/**
 * The key in an `after` cursor of `list`; undefined for none.
 * @param parse the key, or undefined when it is not one of this list's.
 * @throws UpstageError BAD_USER_INPUT for a cursor this list did not give.
 */
export function decodeCursor<K>(list: string, cursor: string | null | undefined, parse: (key: unknown) => K | undefined): K | undefined {
  if (cursor == null) return undefined;
  if (cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw refusals.badCursor();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw refusals.badCursor();
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || decoded[0] !== list) throw refusals.badCursor();
  const key = parse(decoded[1]);
  if (key === undefined) throw refusals.badCursor();
  return key;
}

/**
 * A connection from a page of rows read with `limit: size + 1` (the extra row
 * says whether there is a next page).
 */
export function connectionOf<T>(
  rows: readonly T[],
  size: number,
  page: { cursorOf: (row: T) => string; hasPreviousPage: boolean; totalCount: () => Promise<number> },
): Connection<T> {
  const edges = rows.slice(0, size).map((node) => ({ cursor: page.cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > size,
      endCursor: edges.at(-1)?.cursor ?? null,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
    },
    totalCount: page.totalCount,
  };
}
