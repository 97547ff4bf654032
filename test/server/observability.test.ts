// What an operator sees: /metrics, /healthz and /readyz, and JSON logs that follow a request.
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Storage } from "../../src/storage/Storage.js";
import { graphql, stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { sampleOf } from "../helpers/metricValue.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { collect, UPLOAD_PROGRESS, wsClient } from "../helpers/subscribe.js";
import { waitFor } from "../helpers/waitFor.js";

describe("operations", () => {
  let t: TestServer;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const logDestination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    t = await startTestServer({ LOG_LEVEL: "info" }, { logDestination });
  });
  afterAll(() => t.stop());

  const scrape = async () => {
    const response = await fetch(`${t.url}/metrics`);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  it("counts uploads by outcome and code, bytes, stage and thumbnail times, in Prometheus' format", async () => {
    const token = await t.token("counted");
    expect((await stageFile(t.graphqlUrl, await jpeg(200, 150), { token })).body.errors).toBeUndefined();
    const refused = await stageFile(t.graphqlUrl, Buffer.from("not an image at all, only words\n".repeat(10)), { token });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    const staged = await stageFile(t.graphqlUrl, await jpeg(100, 100), { token });
    const imageId = staged.body.data!.stageImage.image.id;
    await graphql(t.graphqlUrl, `query ($id: ID!) { image(id: $id) { thumbnail(width: 33) { url } } }`, { id: imageId }, token);
    await t.server.sweeper.sweep();

    const text = await scrape();
    expect(sampleOf(text, "upstage_uploads_total", { outcome: "READY", code: "" })).toBe(2);
    expect(sampleOf(text, "upstage_uploads_total", { outcome: "FAILED", code: "UNSUPPORTED_MEDIA_TYPE" })).toBe(1);
    expect(sampleOf(text, "upstage_upload_received_bytes_total")).toBeGreaterThan(320);
    expect(sampleOf(text, "upstage_stage_duration_seconds_count")).toBe(2);
    expect(sampleOf(text, "upstage_thumbnail_duration_seconds_count", { kind: "preset" })).toBe(2);
    expect(sampleOf(text, "upstage_thumbnail_duration_seconds_count", { kind: "on_demand" })).toBe(1);
    expect(sampleOf(text, "upstage_sweeper_runs_total", { result: "swept" })).toBe(1);
    expect(sampleOf(text, "upstage_active_uploads")).toBe(0);
    expect(text).toContain("upstage_process_resident_memory_bytes");
  });

  it("gauges the open progress subscriptions", async () => {
    const client = wsClient(t.graphqlUrl, await t.token("watcher"));
    const uploadId = randomUUID();
    const watching = collect(client, UPLOAD_PROGRESS, { uploadId });
    await t.subscribed(uploadId);
    expect(sampleOf(await scrape(), "upstage_active_subscriptions")).toBe(1);
    await client.dispose();
    await watching;
    // The server hears the socket close a moment after the client has.
    await waitFor(
      async () => sampleOf(await scrape(), "upstage_active_subscriptions") === 0,
      "the gauge drops to 0 once the socket is closed",
    );
  });

  it("gives each request an id, keeps a sane one it was sent, and logs the upload's lines under it", async () => {
    const generated = await fetch(`${t.url}/healthz`);
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      (await fetch(`${t.url}/healthz`, { headers: { "x-request-id": "bad id\twith tabs" } })).headers.get("x-request-id"),
    ).not.toContain(" ");

    const reqId = `trace-${randomUUID()}`;
    const token = await t.token("traced");
    const uploadId = randomUUID();
    const form = new FormData();
    form.append(
      "operations",
      JSON.stringify({
        query: "mutation ($f: Upload!, $u: ID) { stageImage(file: $f, uploadId: $u) { id } }",
        variables: { f: null, u: uploadId },
      }),
    );
    form.append("map", JSON.stringify({ 0: ["variables.f"] }));
    form.append("0", new Blob([await jpeg(80, 80)], { type: "image/jpeg" }), "traced.jpg");
    const response = await fetch(t.graphqlUrl, {
      method: "POST",
      body: form,
      headers: { authorization: `Bearer ${token}`, "apollo-require-preflight": "true", "x-request-id": reqId },
    });
    expect(response.headers.get("x-request-id")).toBe(reqId);
    await response.json();

    const mine = lines.filter((line) => line["reqId"] === reqId);
    expect(mine.map((line) => line["msg"])).toEqual(expect.arrayContaining(["upload started", "image staged", "request"]));
    expect(mine.find((line) => line["msg"] === "upload started")).toMatchObject({ uploadId, userId: "traced" });
    expect(mine.find((line) => line["msg"] === "request")).toMatchObject({ method: "POST", path: "/graphql", status: 200 });
  });

  it("is alive and ready while its database, bus and storage answer", async () => {
    expect(await (await fetch(`${t.url}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok", progressBus: "ok", storage: "ok" } });
  });
});

describe("readiness when the storage is gone", () => {
  it("answers 503 naming the storage, without the system's message", async () => {
    const broken = (storage: Storage): Storage => ({
      ...storage,
      async check() {
        throw Object.assign(new Error("EACCES: permission denied, access '/srv/media'"), { code: "EACCES" });
      },
    });
    const t = await startTestServer({}, { wrapStorage: broken });
    try {
      const ready = await fetch(`${t.url}/readyz`);
      expect(ready.status).toBe(503);
      const body = await ready.json();
      expect(body).toEqual({ status: "not ready", checks: { database: "ok", progressBus: "ok", storage: "unavailable" } });
      expect(JSON.stringify(body)).not.toContain("/srv/media");
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    } finally {
      await t.stop();
    }
  });
});

describe("readiness when the disk is full", () => {
  it("answers 503 saying the storage is full", async () => {
    const full = (storage: Storage): Storage => ({
      ...storage,
      async check() {
        throw Object.assign(new Error("storage is full"), { code: "ENOSPC" });
      },
    });
    const t = await startTestServer({}, { wrapStorage: full });
    try {
      const ready = await fetch(`${t.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: "not ready", checks: { database: "ok", progressBus: "ok", storage: "full" } });
    } finally {
      await t.stop();
    }
  });
});
