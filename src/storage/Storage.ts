import type { Readable } from "node:stream";

/** What to store: bytes in memory, or a local file that the storage takes over (it is moved, not copied). */
export type StorageBody = Buffer | { readonly file: string };

export interface StoredObjectInfo {
  readonly byteSize: number;
  readonly modifiedAt: Date;
}

/** A stored object, as `list()` yields it. */
export interface StoredObject extends StoredObjectInfo {
  readonly key: string;
}

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Where image files live. Keys are random and never reused, so an object is
 * immutable once stored. The rest of the code does not know which backend it has.
 */
export interface Storage {
  /**
   * Stores `body` under `key`. The object becomes visible only when complete;
   * a key that already exists is left as it is and `false` is returned.
   */
  put(key: string, body: StorageBody): Promise<boolean>;
  /** Size and time of a stored object, or undefined when there is none. */
  stat(key: string): Promise<StoredObjectInfo | undefined>;
  /** The object's bytes, or a range of them. */
  read(key: string, range?: ByteRange): Readable;
  /** Removes an object; a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Every stored object, in no particular order (for reconciliation). */
  list(): AsyncIterable<StoredObject>;
  /**
   * A URL clients fetch the object from directly (public or presigned), or
   * undefined when the server serves it at `/media/<key>`.
   */
  urlOf(key: string): Promise<string | undefined>;
  /** Throws unless the storage can be reached and written to (for /readyz). */
  check(): Promise<void>;
  close(): Promise<void>;
}
