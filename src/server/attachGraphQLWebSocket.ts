import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { type DocumentNode, GraphQLError, type GraphQLSchema, parse, specifiedRules, validate } from "graphql";
import { CloseCode } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { type WebSocket, WebSocketServer } from "ws";
import { asServiceUnavailable } from "../errors/asServiceUnavailable.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { refusals } from "../errors/refusals.js";
import { UpstageError } from "../errors/UpstageError.js";
import type { GraphQLContext } from "../graphql/context.js";
import type { OperationPolicy } from "../graphql/createOperationPolicy.js";
import type { Viewer } from "../staging/access.js";

export interface GraphQLWebSocketDeps {
  readonly schema: GraphQLSchema;
  /** The user of an `authorization` connection parameter; throws UNAUTHENTICATED for a bad token. */
  readonly viewerOf: (authorization: string | undefined) => Promise<Viewer | undefined>;
  readonly contextFor: (viewer: Viewer | null) => GraphQLContext;
  /** The same operation policy as on HTTP: validation rules and error formatting. */
  readonly policy: OperationPolicy;
  /** A socket's protocol error (a message over maxPayload, a broken frame): the client's, and its socket is closed already. */
  readonly onSocketError: (error: Error) => void;
}

export interface GraphQLWebSocketOptions {
  /** Bytes of one incoming message; a larger one closes the socket with 1009. @default 65_536 (64 KiB) */
  readonly maxPayload?: number;
  /** Subscriptions one socket may hold at once. */
  readonly maxSubscriptions: number;
  /** WebSockets one user may hold open at once (on this instance). */
  readonly maxSocketsPerUser: number;
}

export interface GraphQLWebSocket {
  /** Subscriptions open on live sockets now. */
  subscriptionCount(): number;
  /**
   * Resolves once no subscription is open (each one's last event has been
   * written to its socket: graphql-ws completes it after that), or after
   * `maxWaitMs`, whichever is first.
   */
  settled(maxWaitMs: number): Promise<void>;
  /** Closes every socket (1001 Going Away) and stops accepting new ones. */
  close(): Promise<void>;
}

/** RFC 6455's "Try Again Later": the server cannot serve now (its database is down, say). */
const TRY_AGAIN_LATER = 1013;
/** Too many WebSockets for one user; like HTTP's 429. */
const TOO_MANY_SOCKETS = 4429;

/** Gives a validation or parse error the code Apollo Server gives it on HTTP. */
const withCode = (code: string) => (error: GraphQLError) =>
  new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { ...error.extensions, code },
  });

function authorizationOf(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = params?.["authorization"] ?? params?.["Authorization"];
  return typeof value === "string" ? value : undefined;
}

/**
 * graphql-ws on `path` of the HTTP server. A connection must authenticate in
 * `connection_init` (`{ authorization: "Bearer <JWT>" }`) or it is closed with
 * 4403; the token is checked again for every subscribe, and a connection whose
 * token has expired is closed with 4403 then. A user may hold
 * `maxSocketsPerUser` sockets (more are closed with 4429); a database that
 * cannot say who a token's user is closes a new socket with 1013 (try again
 * later) and fails a subscribe with SERVICE_UNAVAILABLE, never as a 4403.
 * Operations are parsed, validated and their errors formatted by the same
 * policy as on HTTP; a bad one fails its own subscription, not the socket.
 */
export function attachGraphQLWebSocket(
  httpServer: Server,
  path: string,
  deps: GraphQLWebSocketDeps,
  options: GraphQLWebSocketOptions,
): GraphQLWebSocket {
  // Upgrades are routed here rather than by `ws` itself (its `server` option),
  // which would also take on the HTTP server's own errors (a port in use).
  const { maxPayload = 64 * 1024 /* 64 KiB */ } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    if (new URL(request.url ?? "/", "http://upstage.invalid").pathname !== path) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      wss.emit("connection", ws, request);
      // ws emits "error" only after it has closed the socket with the frame's
      // code (1009 for a message over maxPayload, 1002 for a broken frame).
      // graphql-ws would print it to stderr as an "Internal error" with its
      // stack; it is the client's, so it goes to the log instead.
      ws.removeAllListeners("error");
      ws.on("error", deps.onSocketError);
    });
  };
  httpServer.on("upgrade", onUpgrade);
  const rules = [...specifiedRules, ...deps.policy.validationRules];
  const format = (errors: readonly GraphQLError[]) => errors.map((error) => deps.policy.formatError(error.toJSON(), error));
  // Counted when a subscribe arrives, before any await, so that concurrent
  // subscribes on one socket cannot all see room under the limit.
  const active = new WeakMap<object, Set<string>>();
  /** Told each time a subscription ends (settled()'s waiters). */
  const whenIdle = new Set<() => void>();
  const ended = (socket: object, id: string) => {
    active.get(socket)?.delete(id);
    for (const check of [...whenIdle]) check();
  };
  const activeOn = (socket: object) => {
    let ids = active.get(socket);
    if (!ids) {
      ids = new Set();
      active.set(socket, ids);
    }
    return ids;
  };
  /** Open sockets per signed-in user. */
  const socketsOf = new Map<string, number>();
  const cleanup = useServer<Record<string, unknown>, { viewer?: Viewer; socket: WebSocket }>(
    {
      schema: deps.schema,
      async onConnect(ctx) {
        let viewer: Viewer | undefined;
        try {
          viewer = await deps.viewerOf(authorizationOf(ctx.connectionParams));
        } catch (error) {
          if (error instanceof UpstageError && error.code === ErrorCode.Unauthenticated) return false;
          // The database cannot say who this is now: not a sign-in problem, so not 4403.
          ctx.extra.socket.close(TRY_AGAIN_LATER, "Service unavailable; retry later");
          return false;
        }
        if (!viewer) return false;
        const count = socketsOf.get(viewer.id) ?? 0;
        if (count >= options.maxSocketsPerUser) {
          ctx.extra.socket.close(TOO_MANY_SOCKETS, `At most ${options.maxSocketsPerUser} WebSockets per user`);
          return false;
        }
        socketsOf.set(viewer.id, count + 1);
        const userId = viewer.id;
        ctx.extra.socket.once("close", () => {
          const left = (socketsOf.get(userId) ?? 1) - 1;
          if (left > 0) socketsOf.set(userId, left);
          else socketsOf.delete(userId);
        });
        return true;
      },
      async onSubscribe(ctx, id, payload) {
        const ids = activeOn(ctx.extra.socket);
        if (ids.size >= options.maxSubscriptions) {
          return [refusals.tooManySubscriptions(options.maxSubscriptions)];
        }
        // The place is taken before the first await, so that a burst of
        // subscribes cannot all pass the count above; a refusal gives it back.
        ids.add(id);
        const refuse = (errors: readonly GraphQLError[]) => {
          ids.delete(id);
          return errors;
        };
        let viewer: Viewer | undefined;
        try {
          viewer = await deps.viewerOf(authorizationOf(ctx.connectionParams));
        } catch (error) {
          if (error instanceof UpstageError && error.code === ErrorCode.Unauthenticated) {
            ctx.extra.socket.close(CloseCode.Forbidden, "Token expired or invalid");
            return refuse([error]);
          }
          return refuse([asServiceUnavailable(error)]);
        }
        // Parsed and validated here, so that a bad operation answers its own
        // subscription with an error instead of closing the socket (4500).
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          return refuse(
            [error instanceof GraphQLError ? error : new GraphQLError("The operation could not be parsed.")].map(
              withCode("GRAPHQL_PARSE_FAILED"),
            ),
          );
        }
        const invalid = validate(deps.schema, document, rules);
        if (invalid.length > 0) return refuse(invalid.map(withCode("GRAPHQL_VALIDATION_FAILED")));
        return {
          schema: deps.schema,
          document,
          variableValues: payload.variables ?? undefined,
          operationName: payload.operationName ?? undefined,
          contextValue: deps.contextFor(viewer ?? null),
        };
      },
      onNext(_ctx, _id, _payload, _args, result) {
        return result.errors ? { ...result, errors: format(result.errors) } : undefined;
      },
      onComplete(ctx, id) {
        ended(ctx.extra.socket, id);
      },
      onError(ctx, id, _payload, errors) {
        ended(ctx.extra.socket, id);
        return format(errors);
      },
    },
    wss,
  );
  function subscriptionCount(): number {
    let count = 0;
    for (const socket of wss.clients) count += active.get(socket)?.size ?? 0;
    return count;
  }
  return {
    subscriptionCount,
    settled(maxWaitMs) {
      if (subscriptionCount() === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          whenIdle.delete(check);
          resolve();
        };
        const check = () => {
          if (subscriptionCount() === 0) done();
        };
        const timer = setTimeout(done, maxWaitMs);
        whenIdle.add(check);
      });
    },
    async close() {
      httpServer.off("upgrade", onUpgrade);
      await cleanup.dispose();
    },
  };
}
