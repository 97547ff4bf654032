import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { GraphQLError, specifiedRules, validate, type GraphQLSchema, type ValidationRule } from "graphql";
import { CloseCode } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import type { UserRow } from "../db/rows.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import type { GraphQLContext } from "../graphql/context.js";

export interface GraphQLWebSocketDeps {
  readonly schema: GraphQLSchema;
  /** The user of an `authorization` connection parameter; throws UNAUTHENTICATED for a bad token. */
  readonly viewerOf: (authorization: string | undefined) => Promise<UserRow | undefined>;
  readonly contextFor: (viewer: UserRow | null) => GraphQLContext;
  /** Rules beyond GraphQL's own, as on HTTP (depth, aliases, cost). */
  readonly validationRules: readonly ValidationRule[];
}

export interface GraphQLWebSocketOptions {
  /** Bytes of one incoming message; a larger one closes the socket with 1009. */
  readonly maxPayload?: number;
  /** Subscriptions one socket may hold at once. */
  readonly maxSubscriptions: number;
}

export interface GraphQLWebSocket {
  /** Subscriptions open on live sockets now. */
  subscriptionCount(): number;
  /** Closes every socket (1001 Going Away) and stops accepting new ones. */
  close(): Promise<void>;
}

function authorizationOf(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = params?.["authorization"] ?? params?.["Authorization"];
  return typeof value === "string" ? value : undefined;
}

/**
 * graphql-ws on `path` of the HTTP server. A connection must authenticate in
 * `connection_init` (`{ authorization: "Bearer <JWT>" }`) or it is closed with
 * 4403; the token is checked again for every subscribe, and a connection whose
 * token has expired is closed with 4403 then.
 */
export function attachGraphQLWebSocket(httpServer: Server, path: string, deps: GraphQLWebSocketDeps, options: GraphQLWebSocketOptions): GraphQLWebSocket {
  // Upgrades are routed here rather than by `ws` itself (its `server` option),
  // which would also take on the HTTP server's own errors (a port in use).
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload ?? 64 * 1024 /* 64 KiB */ });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    if (new URL(request.url ?? "/", "http://upstage.invalid").pathname !== path) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
  };
  httpServer.on("upgrade", onUpgrade);
  const rules = [...specifiedRules, ...deps.validationRules];
  // Counted when a subscribe arrives, before any await, so that concurrent
  // subscribes on one socket cannot all see room under the limit.
  const active = new WeakMap<object, Set<string>>();
  const activeOn = (socket: object) => {
    let ids = active.get(socket);
    if (!ids) active.set(socket, (ids = new Set()));
    return ids;
  };
  const cleanup = useServer<Record<string, unknown>, { viewer?: UserRow }>(
    {
      schema: deps.schema,
      validate: (schema, document) => validate(schema, document, rules),
      async onConnect(ctx) {
        try {
          return (await deps.viewerOf(authorizationOf(ctx.connectionParams))) !== undefined;
        } catch {
          return false;
        }
      },
      async onSubscribe(ctx, id) {
        const ids = activeOn(ctx.extra.socket);
        if (ids.size >= options.maxSubscriptions) {
          return [
            new GraphQLError(`At most ${options.maxSubscriptions} subscriptions per connection.`, {
              extensions: { code: ErrorCode.RateLimited },
            }),
          ];
        }
        ids.add(id);
        try {
          ctx.extra.viewer = await deps.viewerOf(authorizationOf(ctx.connectionParams));
        } catch {
          ids.delete(id);
          ctx.extra.socket.close(CloseCode.Forbidden, "Token expired or invalid");
          return [new GraphQLError("The token has expired.", { extensions: { code: ErrorCode.Unauthenticated } })];
        }
      },
      onComplete(ctx, id) {
        activeOn(ctx.extra.socket).delete(id);
      },
      onError(ctx, id) {
        activeOn(ctx.extra.socket).delete(id);
      },
      context: (ctx) => deps.contextFor(ctx.extra.viewer ?? null),
    },
    wss,
  );
  return {
    subscriptionCount() {
      let count = 0;
      for (const socket of wss.clients) count += active.get(socket)?.size ?? 0;
      return count;
    },
    async close() {
      httpServer.off("upgrade", onUpgrade);
      await cleanup.dispose();
    },
  };
}
