import { ErrorCode } from "./ErrorCode.js";
import { UpstageError } from "./UpstageError.js";

/** The error for an owner who holds `max` staged images already (MAX_STAGED_PER_USER): refused at intake and at insert. */
export function tooManyStaged(max: number): UpstageError {
  return new UpstageError(
    ErrorCode.QuotaExceeded,
    `You have ${max} staged images not yet saved (MAX_STAGED_PER_USER); save or discard some, or wait for them to expire.`,
  );
}
