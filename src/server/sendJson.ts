import type { ServerResponse } from "node:http";
import { RETRY_AFTER_SECONDS } from "../errors/asServiceUnavailable.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import type { UpstageError } from "../errors/UpstageError.js";

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** A request refused before GraphQL ran, in the shape of a GraphQL error response. */
export function sendGraphQLError(response: ServerResponse, error: UpstageError, headers: Record<string, string> = {}): void {
  const retry: Record<string, string> = error.code === ErrorCode.ServiceUnavailable ? { "retry-after": String(RETRY_AFTER_SECONDS) } : {};
  sendJson(response, error.status, { errors: [{ message: error.message, extensions: { code: error.code } }] }, { ...retry, ...headers });
}
