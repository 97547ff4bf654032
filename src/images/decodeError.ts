import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";

/**
 * libvips reports a broken input (a truncated or corrupt file) as a plain Error;
 * system errors carry an errno `code`. Only the first kind is the client's fault.
 */
export function asDecodeError(error: unknown): unknown {
  if (error instanceof Error && !("code" in error)) {
    return new UpstageError(ErrorCode.UnsupportedMediaType, "The image could not be decoded; the file is damaged or incomplete.", {
      cause: error,
    });
  }
  return error;
}
