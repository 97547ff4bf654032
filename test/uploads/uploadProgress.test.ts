import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jpeg } from "../helpers/images.js";
import { rawUpload } from "../helpers/rawUpload.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { collect, UPLOAD_PROGRESS, wsClient } from "../helpers/subscribe.js";
import { waitFor } from "../helpers/waitFor.js";

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ MAX_FILE_SIZE: String(1024 * 1024) });
});
afterAll(() => t.stop());

/** Subscribes to an upload's progress, and returns once the subscription will hear every event. */
async function watch(token: string, uploadId: string) {
  const client = wsClient(t.graphqlUrl, token);
  const result = collect(client, UPLOAD_PROGRESS, { uploadId }).finally(() => client.dispose());
  await t.subscribed(uploadId);
  return result;
}

function phasesOf(events: any[]): string[] {
  return events.map((e) => e.uploadProgress.phase);
}

describe("uploadProgress over a slow upload", () => {
  it("sees several RECEIVING events whose bytes never go backwards, then PROCESSING, then READY with the mutation's image", async () => {
    const token = await t.token("slow");
    const uploadId = randomUUID();
    const watching = watch(token, uploadId);
    const file = await jpeg(500, 500);
    const sentAt = Date.now();
    const upload = await rawUpload(t.graphqlUrl, file, { token, uploadId, chunkSize: 8 * 1024, delayMs: 15 });
    const { events, error } = await watching;

    expect(error).toBeUndefined();
    expect(upload.status).toBe(200);
    const phases = phasesOf(events);
    const receiving = events.filter((e) => e.uploadProgress.phase === "RECEIVING").map((e) => e.uploadProgress);
    expect(receiving.length).toBeGreaterThanOrEqual(5);
    // Throttled: far fewer events than chunks.
    expect(receiving.length).toBeLessThan(Math.ceil(file.length / (8 * 1024)) + 5);
    expect(phases.slice(-2)).toEqual(["PROCESSING", "READY"]);
    expect(phases.slice(0, -2).every((p) => p === "RECEIVING")).toBe(true);
    const bytes = events.map((e) => e.uploadProgress.bytesReceived);
    for (let i = 1; i < bytes.length; i++) expect(bytes[i]).toBeGreaterThanOrEqual(bytes[i - 1]);
    const times = events.map((e) => Date.parse(e.uploadProgress.at));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]!);
    // Server times, taken while this upload ran.
    expect(times[0]).toBeGreaterThanOrEqual(sentAt - 1000);
    expect(times.at(-1)).toBeLessThanOrEqual(Date.now() + 1000);
    expect(receiving.every((e) => e.bytesTotal === upload.bytesTotal)).toBe(true);
    expect(receiving[0].percent).toBeLessThan(50);
    const ready = events.at(-1).uploadProgress;
    expect(ready.stagedImage.id).toBe(upload.body.data.stageImage.id);
    expect(ready.percent).toBe(100);
  });
});

describe("uploads that end badly", () => {
  it("a client that goes away halfway: ABORTED, its scratch file gone within a second, no row", async () => {
    const token = await t.token("leaver");
    const uploadId = randomUUID();
    const before = await t.files();
    const rowsBefore = await t.server.database.knex("images").count({ n: "*" }).first();
    const watching = watch(token, uploadId);
    const file = await jpeg(600, 600);
    await rawUpload(t.graphqlUrl, file, { token, uploadId, chunkSize: 4096, delayMs: 5, abortAfter: Math.floor(file.length / 2) });
    const { events } = await watching;

    expect(phasesOf(events).at(-1)).toBe("ABORTED");
    expect(phasesOf(events)).not.toContain("PROCESSING");
    await waitFor(async () => (await t.files()).length === before.length, "the aborted upload's scratch file is removed");
    expect(await t.files()).toEqual(before);
    expect(await t.server.database.knex("images").count({ n: "*" }).first()).toEqual(rowsBefore);
  });

  it("a body over MAX_FILE_SIZE: FAILED with FILE_TOO_LARGE, and the rest of the body is never read", async () => {
    const token = await t.token("big");
    const uploadId = randomUUID();
    const watching = watch(token, uploadId);
    const big = Buffer.concat([await jpeg(64, 64), Buffer.alloc(32 * 1024 * 1024, 7)]);
    const upload = await rawUpload(t.graphqlUrl, big, { token, uploadId, chunkSize: 64 * 1024 });
    const { events } = await watching;

    expect(upload.error).toBeUndefined();
    expect(upload.status).toBe(413);
    expect(upload.body.errors[0].extensions.code).toBe("FILE_TOO_LARGE");
    const failed = events.at(-1).uploadProgress;
    expect(failed).toMatchObject({ phase: "FAILED", error: { code: "FILE_TOO_LARGE" } });
    // 1 MiB allowed; the server stopped taking bytes long before the 32 MiB were sent.
    expect(failed.bytesReceived).toBeLessThan(4 * 1024 * 1024);
    expect(upload.bytesWritten).toBeLessThan(upload.bytesTotal / 2);
  });
});

describe("uploads refused before their body is read", () => {
  it("a large upload without a token gets its 401, and its body is not read", async () => {
    const upload = await rawUpload(t.graphqlUrl, Buffer.alloc(32 * 1024 * 1024, 1), { token: "" });
    expect(upload.status).toBe(401);
    expect(upload.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    expect(upload.bytesWritten).toBeLessThan(upload.bytesTotal / 2);
  });
});

describe("the sniffer", () => {
  let roomy: TestServer;
  beforeAll(async () => {
    roomy = await startTestServer({ MAX_FILE_SIZE: String(64 * 1024 * 1024) });
  });
  afterAll(() => roomy.stop());

  it.each([
    // Large enough that what loopback's socket buffers hold (several MiB on a busy machine) is far from half.
    ["a PDF named photo.jpg", Buffer.concat([Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1"), Buffer.alloc(48 * 1024 * 1024, 32)])],
    ["a shell script named photo.jpg", Buffer.concat([Buffer.from("#!/bin/sh\nrm -rf /\n"), Buffer.alloc(48 * 1024 * 1024, 10)])],
  ])("refuses %s with UNSUPPORTED_MEDIA_TYPE before the body is read", async (_name, body) => {
    const token = await roomy.token("sniffed");
    const upload = await rawUpload(roomy.graphqlUrl, body, { token, chunkSize: 64 * 1024 });
    expect(upload.body.errors[0].extensions.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(upload.bytesWritten).toBeLessThan(upload.bytesTotal / 2);
    expect(await roomy.files()).toEqual([]);
  });
});
