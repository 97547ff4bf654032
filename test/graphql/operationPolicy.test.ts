import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { graphql } from "../helpers/graphqlClient.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { collect, UPLOAD_PROGRESS, wsClient } from "../helpers/subscribe.js";
import { waitFor } from "../helpers/waitFor.js";

/**
 * One operation policy on HTTP and WebSocket: the same validation rules
 * (introspection off in production, the depth, alias and cost limits), the
 * same masking of internal errors, and no field suggestions in production.
 */
// graphql-ws runs queries as well as subscriptions.
const INTROSPECTION = "{ __schema { queryType { name } } }";
const TYPO = "subscription ($u: ID!) { uploadProgres(uploadId: $u) { phase } }";

/** Sends raw graphql-ws messages on one socket, and collects what comes back, by id. */
async function rawSocket(url: string, token: string) {
  const socket = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws");
  const messages: any[] = [];
  let closed: number | undefined;
  const waiters = new Set<() => void>();
  socket.on("message", (data) => {
    messages.push(JSON.parse(String(data)));
    for (const wake of waiters) wake();
  });
  socket.on("close", (code) => {
    closed = code;
    for (const wake of waiters) wake();
  });
  await new Promise((resolve) => socket.once("open", resolve));
  const until = (test: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (test()) {
          waiters.delete(check);
          resolve();
        }
      };
      waiters.add(check);
      check();
    });
  socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } }));
  await until(() => closed !== undefined || messages.some((m) => m.type === "connection_ack"));
  if (closed !== undefined) throw new Error(`the socket was closed with ${closed} before connection_ack`);
  return {
    subscribe(id: string, query: string, variables: Record<string, unknown> = {}) {
      socket.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables } }));
    },
    async answerTo(id: string) {
      await until(() => closed !== undefined || messages.some((m) => m.id === id && (m.type === "error" || m.type === "next")));
      return messages.find((m) => m.id === id);
    },
    get closed() {
      return closed;
    },
    close: () => socket.close(),
  };
}

for (const env of ["production", "development"] as const) {
  describe(`in ${env}`, () => {
    let t: TestServer;
    let token: string;
    beforeAll(async () => {
      t = await startTestServer({ NODE_ENV: env });
      token = await t.token("policy");
    });
    afterAll(() => t?.stop());

    it(`introspection is ${env === "production" ? "refused" : "served"} on HTTP and on WebSocket alike`, async () => {
      const http = await graphql(t.graphqlUrl, "{ __schema { queryType { name } } }", {}, token);
      const socket = await rawSocket(t.graphqlUrl, token);
      socket.subscribe("i", INTROSPECTION);
      const answer = await socket.answerTo("i");
      socket.close();
      if (env === "production") {
        expect(http.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
        expect(answer.type).toBe("error");
        expect(answer.payload[0].extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
        expect(answer.payload[0].message).toMatch(/introspection has been disabled/);
      } else {
        expect(http.body.data).toEqual({ __schema: { queryType: { name: "Query" } } });
        expect(answer).toMatchObject({ type: "next", payload: { data: { __schema: { queryType: { name: "Query" } } } } });
      }
    });

    it(`field suggestions are ${env === "production" ? "hidden" : "given"} on both transports`, async () => {
      const http = await graphql(t.graphqlUrl, "{ viewr { id } }", {}, token);
      const socket = await rawSocket(t.graphqlUrl, token);
      socket.subscribe("t", TYPO, { u: randomUUID() });
      const answer = await socket.answerTo("t");
      socket.close();
      const messages = [http.body.errors![0]!.message, answer.payload[0].message];
      for (const message of messages) {
        if (env === "production") expect(message).not.toMatch(/Did you mean/);
        else expect(message).toMatch(/Did you mean/);
      }
    });

    it("a syntax or validation error answers its own subscription; the socket and its other subscriptions stay open", async () => {
      const socket = await rawSocket(t.graphqlUrl, token);
      socket.subscribe("bad-syntax", "subscription { uploadProgress(");
      expect(await socket.answerTo("bad-syntax")).toMatchObject({
        type: "error",
        payload: [{ extensions: { code: "GRAPHQL_PARSE_FAILED" } }],
      });
      socket.subscribe(
        "too-deep",
        `subscription { uploadProgress(uploadId: "x") { stagedImage { image { thumbnails { url } } } ${"a: phase ".repeat(30)} } }`,
      );
      expect(await socket.answerTo("too-deep")).toMatchObject({
        type: "error",
        payload: [{ extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }],
      });
      expect(socket.closed).toBeUndefined();
      socket.close();
      // And a well-formed one still works on a client of the same kind.
      const client = wsClient(t.graphqlUrl, token);
      const watching = collect(client, UPLOAD_PROGRESS, { uploadId: "x".repeat(200) });
      const { error } = await watching;
      await client.dispose();
      expect((error as any[])[0].extensions.code).toBe("BAD_USER_INPUT");
    });

    it("the depth limit holds on both transports", async () => {
      const deep = `{ viewer { avatar { ${"thumbnails { url } ".repeat(1)} } ${"__typename ".repeat(1)} } ${"a: viewer { id } ".repeat(25)} }`;
      const http = await graphql(t.graphqlUrl, deep, {}, token);
      expect(http.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
      const socket = await rawSocket(t.graphqlUrl, token);
      socket.subscribe(
        "a",
        `subscription { uploadProgress(uploadId: "x") { ${Array.from({ length: 25 }, (_, i) => `a${i}: phase`).join(" ")} } }`,
      );
      expect(await socket.answerTo("a")).toMatchObject({ type: "error", payload: [{ extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }] });
      socket.close();
    });
  });
}

describe("WebSockets per user", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ MAX_SOCKETS_PER_USER: "2" });
  });
  afterAll(() => t?.stop());

  it("a user may hold MAX_SOCKETS_PER_USER sockets; the next is closed with 4429, and a freed place can be used again", async () => {
    const token = await t.token("hoarder");
    const first = await rawSocket(t.graphqlUrl, token);
    const second = await rawSocket(t.graphqlUrl, token);
    const closedWith = await new Promise<number>((resolve) => {
      const socket = new WebSocket(t.graphqlUrl.replace(/^http/, "ws"), "graphql-transport-ws");
      socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } })));
      socket.on("close", (code) => resolve(code));
    });
    expect(closedWith).toBe(4429);
    // Another user is not affected.
    const other = await rawSocket(t.graphqlUrl, await t.token("neighbour"));
    other.close();
    first.close();
    // The place is free once the server has seen the socket close; until then the next is refused.
    let again: Awaited<ReturnType<typeof rawSocket>> | undefined;
    await waitFor(async () => {
      again = await rawSocket(t.graphqlUrl, token).catch(() => undefined);
      return again !== undefined;
    }, "a socket let in after one closed");
    again!.close();
    second.close();
  });
});
