import type http from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import { requestIdFrom, runInRequestContext } from "../observability/requestContext.js";
import type { Readiness } from "./checkReadiness.js";
import { sendJson } from "./sendJson.js";

export interface Routes {
  /** `/graphql` over HTTP. */
  readonly graphql: (request: http.IncomingMessage, response: http.ServerResponse, search: string) => Promise<void>;
  /** `/media/…`. */
  readonly media: (request: http.IncomingMessage, response: http.ServerResponse, pathname: string) => Promise<void>;
  /** tus resumable uploads: `/uploads` and every upload's URL under it. */
  readonly resumable: {
    readonly path: string;
    readonly handler: (request: http.IncomingMessage, response: http.ServerResponse) => Promise<void>;
  };
  /** The pages: the profile page at `/`, the admin page at `/admin`, and their scripts. */
  readonly webPages: (request: http.IncomingMessage, response: http.ServerResponse, pathname: string) => Promise<void>;
  readonly webPagePaths: readonly string[];
  /** The development sign-in's token, when the server mounts it. */
  readonly devToken:
    | { readonly path: string; readonly handler: (request: http.IncomingMessage, response: http.ServerResponse) => Promise<void> }
    | undefined;
  /** `/readyz`: whether the database, the progress bus and the storage answer. */
  readonly readiness: () => Promise<Readiness>;
  /** `/metrics` in Prometheus' text format. */
  readonly metrics: () => Promise<{ readonly contentType: string; readonly body: string }>;
  readonly graphqlPath: string;
  readonly mediaPrefix: string;
  /** True once the server is shutting down: requests are turned away with 503. */
  readonly stopping: () => boolean;
  readonly log: Logger;
}

/**
 * The HTTP routes (`/graphql`, `/media/…`, `/uploads/…` (tus), `/healthz`, `/readyz`, `/metrics`,
 * the pages at `/` and `/admin`, the development sign-in's token, else 404), the
 * headers every response carries (a request id among them, which every log
 * line written for the request carries too), one log line per request, the
 * last-resort 500, and how a malformed request on a connection is answered.
 */
export function attachRoutes(httpServer: http.Server, routes: Routes): void {
  const current = new WeakMap<Socket, { request: http.IncomingMessage; response: http.ServerResponse }>();

  // Bytes after a request's declared body (a Content-Length that lies short)
  // parse as a broken next request. Node's default answer is a bare 400 that
  // destroys the socket before the response in flight is written; answer the
  // request in flight first instead. A client gone mid-body is a parse error
  // too, and its socket goes at once.
  httpServer.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    const exchange = current.get(socket);
    if (exchange?.request.complete && !exchange.response.writableFinished) {
      exchange.response.once("close", () => socket.destroy());
      return;
    }
    if (socket.writable && error.code !== "ECONNRESET") socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    socket.destroy();
  });

  httpServer.on("request", (request: http.IncomingMessage, response: http.ServerResponse) => {
    const reqId = requestIdFrom(request.headers["x-request-id"]);
    runInRequestContext({ reqId }, () => handle(request, response, reqId));
  });

  /** Probes and scrapes are frequent and say nothing new: their lines are debug. */
  const quietPaths = new Set(["/healthz", "/readyz", "/metrics"]);

  function handle(request: http.IncomingMessage, response: http.ServerResponse, reqId: string): void {
    const started = process.hrtime.bigint();
    current.set(request.socket, { request, response });
    response.setHeader("x-request-id", reqId);
    response.setHeader("x-content-type-options", "nosniff");
    const closed = new Promise((resolve) => response.once("close", resolve));
    /** The line is written once the response is gone and the handler is done with the request (a client may leave first). */
    const logWhenDone = (handled: Promise<unknown>) =>
      void Promise.all([closed, handled]).then(() => {
        const path = (request.url ?? "/").split("?")[0]!;
        const level = quietPaths.has(path) || path.startsWith(routes.mediaPrefix) ? "debug" : "info";
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        routes.log[level](
          { method: request.method, path, status: response.statusCode, ms: Math.round(ms * 10) / 10, completed: response.writableFinished },
          "request",
        );
      });
    if (routes.stopping()) {
      // Shutting down: a request on a kept-alive connection is turned away too.
      response.setHeader("connection", "close");
      sendJson(response, 503, { error: "Shutting down; retry on another instance." }, { "retry-after": "1" });
      return logWhenDone(Promise.resolve());
    }
    const url = new URL(request.url ?? "/", "http://upstage.invalid");
    const route = async () => {
      if (url.pathname === routes.graphqlPath) return routes.graphql(request, response, url.search);
      if (url.pathname.startsWith(routes.mediaPrefix)) return routes.media(request, response, url.pathname);
      if (url.pathname === routes.resumable.path || url.pathname.startsWith(`${routes.resumable.path}/`))
        return routes.resumable.handler(request, response);
      if (url.pathname === "/healthz") return sendJson(response, 200, { status: "ok" });
      if (url.pathname === "/readyz") {
        const readiness = await routes.readiness();
        return sendJson(response, readiness.ready ? 200 : 503, {
          status: readiness.ready ? "ready" : "not ready",
          checks: readiness.checks,
        });
      }
      if (url.pathname === "/metrics") {
        const { contentType, body } = await routes.metrics();
        response.writeHead(200, { "content-type": contentType, "cache-control": "no-store" });
        return void response.end(body);
      }
      if (routes.webPagePaths.includes(url.pathname)) return routes.webPages(request, response, url.pathname);
      if (routes.devToken && url.pathname === routes.devToken.path) return routes.devToken.handler(request, response);
      sendJson(response, 404, { error: "Not found" });
    };
    logWhenDone(
      route().catch((error: unknown) => {
        routes.log.error({ err: error, url: request.url }, "request failed");
        if (!response.headersSent) sendJson(response, 500, { error: "Internal server error" });
        else response.destroy();
      }),
    );
  }
}
