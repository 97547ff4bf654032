/** What one upload's handlers share: who sends what, and what the handlers found out. */
export interface UploadContext {
  /** The client's uploadId, when it asked for progress. */
  readonly uploadId: string | null;
  readonly userId: string;
  /** The filename as the client sent it: untrusted, never a path. */
  readonly filename: string;
  /** File bytes that have entered the chain so far (for a rebuilt resumable chain, the replayed ones too). */
  bytesSeen: number;
  /**
   * Bytes of this upload its door has already reserved against the user's
   * quota: a tus upload's declared Upload-Length, counted among the user's
   * pending bytes from its creation on. 0 for a multipart upload.
   */
  readonly reservedBytes: number;
  /** Findings of the handlers, for the handlers after them and for staging. */
  readonly results: UploadResults;
}

export interface UploadResults {
  /** Set by `sniff`: the format the magic bytes name (sharp's name: jpeg, png, webp, gif, heif). */
  format?: string;
  /** Set by `hash`: hex sha256 of the file's bytes. */
  sha256?: string;
  /** Set by `store`: the complete local file (closed, not fsynced: staging makes its outputs durable). */
  file?: string;
}

/**
 * A step that sees an upload's bytes as they stream, like Django's
 * FILE_UPLOAD_HANDLERS, through every door (multipart and tus). One instance
 * serves one upload, so it may keep state. Each hook may observe, transform
 * (return a new chunk), or refuse (throw an UpstageError): a refusal stops
 * reading at once and every started handler's `abort` runs, in reverse order.
 *
 * A tus upload arrives in several requests, perhaps on several instances or
 * across a restart. `start` runs once per upload, at its creation; while the
 * same instance keeps the chain, each PATCH's bytes go on through it. When
 * the chain is lost (a restart, a PATCH on another instance, a PATCH cut
 * short), a fresh one is made: `resume` runs instead of `start`, and the
 * bytes stored so far are replayed through `chunk` before the new ones, so
 * state built from the bytes is rebuilt. A dropped chain gets no `abort`.
 */
export interface UploadHandler {
  readonly name: string;
  /** Before the first byte, once per upload (a tus upload's: at its creation). */
  start?(upload: UploadContext): void | Promise<void>;
  /** Instead of `start`, on a chain rebuilt for a resumable upload under way; its stored bytes are replayed next. */
  resume?(upload: UploadContext): void | Promise<void>;
  /**
   * Each chunk, in order. Return a Buffer to pass that on instead. A returned
   * promise is awaited before the next chunk is read: that is the backpressure.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that only observes returns nothing (void), which `undefined` would refuse.
  chunk?(data: Buffer, upload: UploadContext): Buffer | void | Promise<Buffer | void>;
  /** After the last byte, once per upload. */
  complete?(upload: UploadContext): void | Promise<void>;
  /** On any failure, refusal or disconnect that ends the upload, for each handler whose `start` (or `resume`) ran. */
  abort?(upload: UploadContext, why: unknown): void | Promise<void>;
}
