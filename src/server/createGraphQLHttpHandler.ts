import type { IncomingMessage, ServerResponse } from "node:http";
import { type ApolloServer, HeaderMap, type HTTPGraphQLRequest } from "@apollo/server";
import { unavailabilityOf } from "../errors/asServiceUnavailable.js";
import { refusals } from "../errors/refusals.js";
import { UpstageError } from "../errors/UpstageError.js";
import type { GraphQLContext } from "../graphql/context.js";
import type { Viewer } from "../staging/access.js";
import type { BodyMeter } from "../uploads/meterRequestBody.js";
import { processMultipart } from "../uploads/processMultipart.js";
import type { UploadTracker } from "./createUploadTracker.js";
import { discardRestAfterAnswer } from "./discardRestAfterAnswer.js";
import { sendGraphQLError } from "./sendJson.js";

export interface GraphQLHttpOptions {
  /** Bytes of a JSON request body, and of a multipart request's `operations` and `map` fields. @default 1_000_000 (1 MB) */
  readonly maxJsonBytes?: number;
  /** Bytes of the one file a multipart request may carry. */
  readonly maxFileSize: number;
  /** Milliseconds a request body (an upload's or JSON) may stall before the request is dropped. */
  readonly idleTimeoutMs: number;
}

export interface GraphQLHttpDeps {
  readonly apollo: ApolloServer<GraphQLContext>;
  readonly uploads: UploadTracker;
  /** The signed-in user of a request; undefined when it has no token. Throws UNAUTHENTICATED for a bad one. */
  readonly viewerOf: (authorization: string | undefined) => Promise<Viewer | undefined>;
  readonly contextFor: (viewer: Viewer | null, meter: BodyMeter | null) => GraphQLContext;
}

/** The headers that prove a request was not sent by a plain HTML form (Apollo's CSRF prevention). */
const PREFLIGHT_HEADERS = ["apollo-require-preflight", "x-apollo-operation-name"];

/**
 * `/graphql` over HTTP: Apollo Server on Node's own request and response.
 * JSON bodies are parsed here; multipart bodies (the GraphQL multipart request
 * spec) go through processMultipart, but only after the CSRF and
 * authentication checks pass, so a refused upload's body is never read.
 */
export function createGraphQLHttpHandler(deps: GraphQLHttpDeps, options: GraphQLHttpOptions) {
  const { maxJsonBytes = 1_000_000 /* 1 MB */ } = options;

  /** Runs the operation through Apollo Server and writes its response. */
  async function execute(
    request: IncomingMessage,
    response: ServerResponse,
    search: string,
    viewer: Viewer | undefined,
    body: unknown,
    meter: BodyMeter | null,
  ): Promise<void> {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = {
      method: request.method?.toUpperCase() ?? "GET",
      headers,
      search,
      body,
    };
    const result = await deps.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: async () => deps.contextFor(viewer ?? null, meter),
    });

    for (const [name, value] of result.headers) response.setHeader(name, value);
    response.statusCode = result.status ?? 200;
    if (meter && !request.readableEnded) {
      // The operation ended before the body did: an upload was refused at the
      // head of its stream. Parse no more of it; answer, then discard the rest.
      request.unpipe();
      discardRestAfterAnswer(request, response);
    }
    if (result.body.kind === "complete") {
      response.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  }

  /** A multipart request: checked before its body is read, counted while in flight. */
  async function handleUpload(
    request: IncomingMessage,
    response: ServerResponse,
    search: string,
    viewer: Viewer | undefined,
  ): Promise<void> {
    if (!PREFLIGHT_HEADERS.some((name) => request.headers[name])) {
      return refuseUnread(request, response, refusals.crossSiteRequest());
    }
    if (!viewer) {
      const error = refusals.signIn();
      return refuseUnread(request, response, error, { "www-authenticate": "Bearer" });
    }
    const release = deps.uploads.admit(viewer.id, request);
    if (!release) {
      const error = refusals.tooManyInFlight();
      return refuseUnread(request, response, error, { "retry-after": "1" });
    }
    try {
      // A stalled upload must not hold a connection and a scratch file for ever.
      request.setTimeout(options.idleTimeoutMs, () => request.destroy());
      const { operations, meter } = processMultipart(request, {
        maxFieldSize: maxJsonBytes,
        maxFileSize: options.maxFileSize,
        maxFiles: 1,
      });
      let body: unknown;
      try {
        body = await operations;
      } catch (error) {
        // A client that left has nobody to answer.
        if (!(error instanceof UpstageError)) return;
        return refuseUnread(request, response, error);
      }
      await execute(request, response, search, viewer, body, meter);
    } finally {
      release();
    }
  }

  return async function handleGraphQLHttp(request: IncomingMessage, response: ServerResponse, search: string): Promise<void> {
    let viewer: Viewer | undefined;
    try {
      viewer = await deps.viewerOf(request.headers.authorization);
    } catch (error) {
      if (error instanceof UpstageError) return sendGraphQLError(response, error, { "www-authenticate": "Bearer" });
      // The token may be fine; the database that knows its user is not.
      const unavailable = unavailabilityOf(error);
      if (!unavailable) throw error;
      return sendGraphQLError(response, unavailable);
    }
    if (isMultipart(request)) return handleUpload(request, response, search, viewer);
    let body: unknown;
    if (request.method === "POST") {
      // A stalled body must not hold a connection for ever, JSON or not.
      request.setTimeout(options.idleTimeoutMs, () => request.destroy());
      try {
        body = await readJson(request, maxJsonBytes);
      } catch (error) {
        // A client that left mid-body (or stalled past the timeout) has nobody to answer.
        if (!(error instanceof UpstageError)) return;
        return sendGraphQLError(response, error);
      }
    }
    await execute(request, response, search, viewer, body, null);
  };
}

/** Answers an upload with an error before reading its body, then discards the rest. */
function refuseUnread(request: IncomingMessage, response: ServerResponse, error: UpstageError, headers: Record<string, string> = {}): void {
  discardRestAfterAnswer(request, response);
  sendGraphQLError(response, error, headers);
}

function isMultipart(request: IncomingMessage): boolean {
  return /^multipart\/form-data\b/i.test(request.headers["content-type"] ?? "");
}

async function readJson(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw refusals.bodyTooLarge(maxBytes);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw refusals.bodyNotJson();
  }
}
