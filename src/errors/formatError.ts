import { unwrapResolverError } from "@apollo/server/errors";
import type { GraphQLFormattedError } from "graphql";
import { unavailabilityOf } from "./asServiceUnavailable.js";
import { ErrorCode } from "./ErrorCode.js";
import { refusals } from "./refusals.js";
import { UploadAbortedError } from "./UploadAbortedError.js";
import { UpstageError } from "./UpstageError.js";

const knownCodes = new Set<string>([
  ...Object.values(ErrorCode),
  // Apollo's own request-level codes pass through as they are.
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
]);

/** PostgreSQL's codes for a value it cannot take: invalid text representation, untranslatable character, too long. */
const MALFORMED_VALUE = new Set(["22P02", "22021", "22001", "22P05"]);

/**
 * The one place that decides what a client sees of an error: contract codes
 * pass through; a dependency that cannot serve now (database down, disk full)
 * is SERVICE_UNAVAILABLE; anything else becomes INTERNAL_SERVER_ERROR without
 * its message or stack in production.
 */
export function createFormatError(options: { production: boolean; log: (error: unknown) => void }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const code = formatted.extensions?.code;
    if (original instanceof UpstageError || (typeof code === "string" && knownCodes.has(code) && code !== ErrorCode.InternalServerError)) {
      const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    // A malformed value that slipped past the edge's checks: PostgreSQL refused it (a bad uuid, a NUL, too long).
    const pgCode = (original as { code?: unknown } | undefined)?.code;
    if (typeof pgCode === "string" && MALFORMED_VALUE.has(pgCode)) {
      const refusal = refusals.malformedValue();
      return { message: refusal.message, locations: formatted.locations, path: formatted.path, extensions: { code: refusal.code } };
    }
    const unavailable = unavailabilityOf(original);
    if (unavailable) {
      options.log(original);
      return { message: unavailable.message, locations: formatted.locations, path: formatted.path, extensions: { code: unavailable.code } };
    }
    // A client gone mid-upload: nobody reads this answer, and nothing went wrong here.
    if (original instanceof UploadAbortedError)
      return { message: original.message, path: formatted.path, extensions: { code: ErrorCode.BadUserInput } };
    options.log(original);
    if (!options.production) return formatted;
    return {
      message: "Internal server error",
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.InternalServerError },
    };
  };
}
