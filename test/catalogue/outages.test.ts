import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { describeWithPart } from "../helpers/describeWhen.js";
import { graphql, stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { collect, UPLOAD_PROGRESS, wsClient } from "../helpers/subscribe.js";
import { reachable, startTcpProxy, type TcpProxy } from "../helpers/tcpProxy.js";
import { createTestDatabase } from "../helpers/testDatabases.js";
import { waitFor } from "../helpers/waitFor.js";

/**
 * Dependencies that go away mid-run, cut by a TCP proxy the test owns
 * between the server and the shared Redis or PostgreSQL (never those
 * themselves): the answers, the codes, readiness, and recovery.
 */
const redisUp = await reachable(6379);
const postgresUp = await reachable(5432);

async function readiness(url: string): Promise<Record<string, string>> {
  return ((await (await fetch(`${url}/readyz`)).json()) as { checks: Record<string, string> }).checks;
}

/** Waits until readiness says `check` is `state` (the bus reconnects with back-off). */
function until(url: string, check: string, state: string): Promise<void> {
  return waitFor(async () => (await readiness(url))[check] === state, `readiness says ${check} is ${state}`, 30_000);
}

describeWithPart(
  redisUp ? undefined : { what: "a Redis on 127.0.0.1:6379 to put a TCP proxy in front of", install: "apt-get install redis-server" },
  "the Redis progress bus goes away mid-run",
  {},
  () => {
    let proxy: TcpProxy;
    let t: TestServer;
    beforeAll(async () => {
      proxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
      t = await startTestServer({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    });
    afterAll(async () => {
      await t?.stop();
      await proxy?.close();
    });

    it("uploads with an uploadId still stage; readiness says the bus is down; the subscriber catches up with READY when it returns", async () => {
      const token = await t.token("through-outage");
      const uploadId = randomUUID();
      const client = wsClient(t.graphqlUrl, token);
      let subscribed!: () => void;
      const first = new Promise<void>((resolve) => (subscribed = resolve));
      const watching = collect(client, UPLOAD_PROGRESS, { uploadId }, () => subscribed());
      // A first upload with the bus up, so the subscription is live on this instance.
      const warm = randomUUID();
      const warmClient = wsClient(t.graphqlUrl, token);
      const warmed = collect(warmClient, UPLOAD_PROGRESS, { uploadId: warm });
      await Promise.all([t.subscribed(warm), t.subscribed(uploadId)]);
      expect((await stageFile(t.graphqlUrl, await jpeg(40, 40), { token, uploadId: warm })).status).toBe(200);
      expect((await warmed).events.at(-1).uploadProgress.phase).toBe("READY");

      await proxy.cut();
      const staged = await stageFile(t.graphqlUrl, await jpeg(200, 150), { token, uploadId });
      expect(staged.status, JSON.stringify(staged.body)).toBe(200);
      expect(staged.body.data!["stageImage"].id).toBeTruthy();
      expect((await readiness(t.url))["progressBus"]).toBe("unavailable");

      await proxy.restore();
      await until(t.url, "progressBus", "ok");
      await first;
      const { events, error } = await watching;
      expect(error).toBeUndefined();
      expect(events.at(-1).uploadProgress).toMatchObject({ phase: "READY", stagedImage: { id: staged.body.data!["stageImage"].id } });
      await Promise.all([client.dispose(), warmClient.dispose()]);
    }, 60_000);
  },
);

describeWithPart(
  postgresUp
    ? undefined
    : {
        what: "a PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) to put a TCP proxy in front of",
        install: "apt-get install postgresql",
      },
  "PostgreSQL goes away mid-run",
  {},
  () => {
    let proxy: TcpProxy;
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let t: TestServer;
    beforeAll(async () => {
      database = await createTestDatabase(process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres");
      proxy = await startTcpProxy({ host: "127.0.0.1", port: 5432 });
      const url = new URL(database.url);
      url.port = String(proxy.port);
      t = await startTestServer({ DATABASE_URL: url.toString() });
    });
    afterAll(async () => {
      await t?.stop().catch(() => {});
      await proxy?.close();
      await database?.drop();
    });

    it("answers SERVICE_UNAVAILABLE with 503 and Retry-After, never closes a WebSocket as 4403, and recovers without a restart", async () => {
      const token = await t.token("outage");
      expect((await graphql(t.graphqlUrl, "{ viewer { id } }", {}, token)).body.data).toEqual({ viewer: { id: "outage" } });
      await proxy.cut();

      const response = await fetch(t.graphqlUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: "{ viewer { id } }" }),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
      const body = (await response.json()) as any;
      expect(body.errors[0].extensions.code).toBe("SERVICE_UNAVAILABLE");

      const closedWith = await new Promise<number>((resolve) => {
        const socket = new WebSocket(t.graphqlUrl.replace(/^http/, "ws"), "graphql-transport-ws");
        socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } })));
        socket.on("close", (code) => resolve(code));
      });
      expect(closedWith).not.toBe(4403);
      expect(closedWith).toBe(1013);
      expect((await readiness(t.url))["database"]).toBe("unavailable");

      await proxy.restore();
      await until(t.url, "database", "ok");
      expect((await graphql(t.graphqlUrl, "{ viewer { id } }", {}, token)).body.data).toEqual({ viewer: { id: "outage" } });
    }, 60_000);
  },
);
