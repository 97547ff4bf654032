import type { Readable } from "node:stream";

/** Where a client sends a direct upload's bytes, as the bucket's presigned request says. */
export interface PresignedUpload {
  readonly url: string;
  readonly method: "PUT";
  /** Headers the client must send as they are (the signature covers them). */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The quarantine of direct uploads (STORAGE=s3): objects a client sends
 * straight to the bucket with a presigned request, under their own prefix,
 * until the server reads them back through the upload handlers. Nothing
 * here is ever served.
 */
export interface DirectUploadBucket {
  /** The prefix of every quarantine key (for the bucket's lifecycle rule). */
  readonly prefix: string;
  /** A new quarantine key, random. */
  newKey(): string;
  /**
   * A presigned PUT of exactly `byteSize` bytes to `key`, until `expiresInSeconds`
   * from now: the signature covers the Content-Length, so a body of any
   * other size is refused by the bucket.
   */
  presignPut(key: string, byteSize: number, expiresInSeconds: number): Promise<PresignedUpload>;
  /** The object's size, or undefined when nothing was sent. */
  sizeOf(key: string): Promise<number | undefined>;
  /** The object's bytes as they are now. */
  read(key: string): Readable;
  /** Removes the object; a missing one is not an error. */
  delete(key: string): Promise<void>;
}
