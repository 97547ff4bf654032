import { ErrorCode } from "./ErrorCode.js";
import { UpstageError } from "./UpstageError.js";

/** Seconds a client is told to wait (Retry-After) before it tries again. */
export const RETRY_AFTER_SECONDS = 5;

/** Connection failures of the network, of pg, and of PostgreSQL itself (classes 08 and 57P). */
const UNREACHABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EPIPE", "EAI_AGAIN"]);
const FULL = new Set(["ENOSPC", "EDQUOT"]);

/**
 * SERVICE_UNAVAILABLE for an error that says a dependency cannot serve now
 * (the database unreachable or shutting down, the pool timing out, the disk
 * full), looking through its causes; undefined for anything else.
 */
export function unavailabilityOf(error: unknown): UpstageError | undefined {
  for (
    let e = error as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown[] } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (e instanceof UpstageError) return e.code === ErrorCode.ServiceUnavailable ? e : undefined;
    const code = typeof e.code === "string" ? e.code : "";
    if (FULL.has(code)) return new UpstageError(ErrorCode.ServiceUnavailable, "Storage is full; try again later.", { cause: error });
    const message = typeof e.message === "string" ? e.message : "";
    if (
      UNREACHABLE.has(code) ||
      /^(08|57P)/.test(code) ||
      e.name === "KnexTimeoutError" ||
      /Connection terminated|connection error|Connection is closed|Timeout acquiring a connection/i.test(message)
    ) {
      return new UpstageError(ErrorCode.ServiceUnavailable, "The service cannot reach its database or storage now; try again later.", {
        cause: error,
      });
    }
    e = (Array.isArray(e.errors) && e.errors.length > 0 ? e.errors[0] : e.cause) as typeof e;
  }
  return undefined;
}

/** SERVICE_UNAVAILABLE for `error`, whatever it is (for a path where nothing else can be the cause). */
export function asServiceUnavailable(error: unknown): UpstageError {
  return (
    unavailabilityOf(error) ??
    new UpstageError(ErrorCode.ServiceUnavailable, "The service cannot serve this now; try again later.", { cause: error })
  );
}
