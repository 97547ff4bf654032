/**
 * A file that intake has received whole into scratch, with what it learned on
 * the way: the hand-over from `uploads/` to `staging/`, which consumes (and
 * removes) the scratch file.
 */
export interface ReceivedFile {
  /** The complete, fsynced scratch file. */
  readonly path: string;
  readonly byteSize: number;
  /** Hex sha256 of the bytes as received. */
  readonly sha256: string;
  /** The client's filename, sanitized for keeping (never used in a path); null when it sent none. */
  readonly filename: string | null;
}
