import { ErrorCode } from "./ErrorCode.js";
import { UpstageError } from "./UpstageError.js";

/** The refusal of an upload that would take its owner past QUOTA_BYTES (`quota` bytes): multipart or tus. */
export function quotaExceeded(quota: number): UpstageError {
  return new UpstageError(
    ErrorCode.QuotaExceeded,
    `This upload would take your images past your quota of ${quota} bytes; discard some first.`,
  );
}
