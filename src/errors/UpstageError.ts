import { GraphQLError } from "graphql";
import { type ErrorCode, httpStatusOf } from "./ErrorCode.js";

/**
 * The one error class of the domain: a contract code and a message fit for the
 * client. GraphQL shows it with `extensions.code`; the HTTP layer uses `status`.
 */
export class UpstageError extends GraphQLError {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown } = {}) {
    const status = httpStatusOf[code];
    super(message, { extensions: { code, http: { status } }, originalError: asError(options.cause) });
    this.name = "UpstageError";
    this.code = code;
    this.status = status;
  }
}

function asError(cause: unknown): Error | undefined {
  return cause instanceof Error ? cause : undefined;
}
