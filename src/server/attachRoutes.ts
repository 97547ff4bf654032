import type http from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import { sendJson } from "./sendJson.js";

export interface Routes {
  /** `/graphql` over HTTP. */
  readonly graphql: (request: http.IncomingMessage, response: http.ServerResponse, search: string) => Promise<void>;
  /** `/media/…`. */
  readonly media: (request: http.IncomingMessage, response: http.ServerResponse, pathname: string) => Promise<void>;
  /** The profile page: `/` and its script. */
  readonly profilePage: (request: http.IncomingMessage, response: http.ServerResponse, pathname: string) => Promise<void>;
  readonly profilePagePaths: readonly string[];
  /** The development sign-in's token, when the server mounts it. */
  readonly devToken: { readonly path: string; readonly handler: (request: http.IncomingMessage, response: http.ServerResponse) => Promise<void> } | undefined;
  readonly graphqlPath: string;
  readonly mediaPrefix: string;
  /** True once the server is shutting down: requests are turned away with 503. */
  readonly stopping: () => boolean;
  readonly log: Logger;
}

/**
 * The HTTP routes (`/graphql`, `/media/…`, `/healthz`, the profile page at
 * `/`, the development sign-in's token, else 404), the headers
 * every response carries, the last-resort 500, and how a malformed request on
 * a connection is answered.
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
    if (exchange && exchange.request.complete && !exchange.response.writableFinished) {
      exchange.response.once("close", () => socket.destroy());
      return;
    }
    if (socket.writable && error.code !== "ECONNRESET") socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    socket.destroy();
  });

  httpServer.on("request", (request: http.IncomingMessage, response: http.ServerResponse) => {
    current.set(request.socket, { request, response });
    response.setHeader("x-content-type-options", "nosniff");
    if (routes.stopping()) {
      // Shutting down: a request on a kept-alive connection is turned away too.
      response.setHeader("connection", "close");
      sendJson(response, 503, { error: "Shutting down; retry on another instance." }, { "retry-after": "1" });
      return;
    }
    const url = new URL(request.url ?? "/", "http://upstage.invalid");
    const route = async () => {
      if (url.pathname === routes.graphqlPath) return routes.graphql(request, response, url.search);
      if (url.pathname.startsWith(routes.mediaPrefix)) return routes.media(request, response, url.pathname);
      if (url.pathname === "/healthz") return sendJson(response, 200, { status: "ok" });
      if (routes.profilePagePaths.includes(url.pathname)) return routes.profilePage(request, response, url.pathname);
      if (routes.devToken && url.pathname === routes.devToken.path) return routes.devToken.handler(request, response);
      sendJson(response, 404, { error: "Not found" });
    };
    route().catch((error: unknown) => {
      routes.log.error({ err: error, url: request.url }, "request failed");
      if (!response.headersSent) sendJson(response, 500, { error: "Internal server error" });
      else response.destroy();
    });
  });
}
