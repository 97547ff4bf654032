import { refusals } from "../errors/refusals.js";

/**
 * libvips reports a broken input (a truncated or corrupt file) as a plain Error;
 * system errors carry an errno `code`. Only the first kind is the client's fault.
 */
export function asDecodeError(error: unknown): unknown {
  if (error instanceof Error && !("code" in error)) {
    return refusals.undecodable(error);
  }
  return error;
}
