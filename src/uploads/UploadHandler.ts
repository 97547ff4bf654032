/** What one upload's handlers share: who sends what, and what the handlers found out. */
export interface UploadContext {
  /** The client's uploadId, when it asked for progress. */
  readonly uploadId: string | null;
  readonly userId: string;
  /** The filename as the client sent it: untrusted, never a path. */
  readonly filename: string;
  /** File bytes that have entered the chain so far. */
  bytesSeen: number;
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
 * FILE_UPLOAD_HANDLERS. One instance serves one upload, so it may keep state.
 * Each hook may observe, transform (return a new chunk), or refuse (throw an
 * UpstageError): a refusal stops reading at once and every started handler's
 * `abort` runs, in reverse order.
 */
export interface UploadHandler {
  readonly name: string;
  /** Before the first byte. */
  start?(upload: UploadContext): void | Promise<void>;
  /**
   * Each chunk, in order. Return a Buffer to pass that on instead. A returned
   * promise is awaited before the next chunk is read: that is the backpressure.
   */
  chunk?(data: Buffer, upload: UploadContext): Buffer | void | Promise<Buffer | void>;
  /** After the last byte. */
  complete?(upload: UploadContext): void | Promise<void>;
  /** On any failure, refusal or disconnect, for each handler whose `start` ran. */
  abort?(upload: UploadContext, why: unknown): void | Promise<void>;
}
