import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { collect, UPLOAD_PROGRESS, wsClient } from "../helpers/subscribe.js";

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

describe("graphql-ws on /graphql", () => {
  it("pushes an upload's progress to a subscriber: RECEIVING, PROCESSING, then READY with the staged image", async () => {
    const token = await t.token("watcher");
    const client = wsClient(t.graphqlUrl, token);
    const uploadId = randomUUID();
    const watching = collect(client, UPLOAD_PROGRESS, { uploadId });
    await t.subscribed(uploadId);

    const bytes = await jpeg(1200, 900);
    const staged = await stageFile(t.graphqlUrl, bytes, { token, uploadId });
    const { events, error } = await watching;
    await client.dispose();

    expect(error).toBeUndefined();
    const phases = events.map((e) => e.uploadProgress.phase);
    expect(phases.at(-1)).toBe("READY");
    expect(phases.at(-2)).toBe("PROCESSING");
    expect(phases.slice(0, -2).every((p) => p === "RECEIVING")).toBe(true);
    expect(phases.length).toBeGreaterThan(2);

    const last = events.at(-1).uploadProgress;
    expect(last.stagedImage.id).toBe(staged.body.data!["stageImage"].id);
    expect(last.bytesTotal).toBeGreaterThan(bytes.length);
    expect(last.bytesReceived).toBe(last.bytesTotal);
    expect(last.percent).toBe(100);
    const received = events.map((e) => e.uploadProgress.bytesReceived);
    expect([...received].sort((a, b) => a - b)).toEqual(received);
  });

  it("replays the outcome to a subscriber that comes after the upload finished", async () => {
    const token = await t.token("late-watcher");
    const uploadId = randomUUID();
    await stageFile(t.graphqlUrl, Buffer.from("not an image"), { token, uploadId });
    const client = wsClient(t.graphqlUrl, token);
    const { events } = await collect(client, UPLOAD_PROGRESS, { uploadId });
    await client.dispose();
    expect(events).toHaveLength(1);
    expect(events[0].uploadProgress).toMatchObject({ phase: "FAILED", error: { code: "UNSUPPORTED_MEDIA_TYPE" } });
  });

  it("refuses another user's uploadId with FORBIDDEN", async () => {
    const uploadId = randomUUID();
    const owner = wsClient(t.graphqlUrl, await t.token("first"));
    const ownerWatch = collect(owner, UPLOAD_PROGRESS, { uploadId });
    await t.subscribed(uploadId);
    const other = wsClient(t.graphqlUrl, await t.token("second"));
    const { events, error } = await collect(other, UPLOAD_PROGRESS, { uploadId });
    expect(events).toEqual([]);
    expect((error as { extensions: { code: string } }[])[0]!.extensions.code).toBe("FORBIDDEN");
    await other.dispose();
    await owner.dispose();
    await ownerWatch;
  });

  it("closes a connection without a valid token at connection_init with 4403", async () => {
    for (const token of [undefined, "not-a-token"]) {
      let code: number | undefined;
      const client = wsClient(t.graphqlUrl, token, { onClose: (c) => (code = c) });
      const { error } = await collect(client, UPLOAD_PROGRESS, { uploadId: randomUUID() });
      expect(error).toBeDefined();
      expect(code).toBe(4403);
      await client.dispose();
    }
  });
});

describe("a subscription whose upload never begins", () => {
  it("completes with no event after UPLOAD_WAIT_TIMEOUT", async () => {
    const impatient = await startTestServer({ UPLOAD_WAIT_TIMEOUT: "1" });
    try {
      const client = wsClient(impatient.graphqlUrl, await impatient.token("waiter"));
      const { events, error } = await collect(client, UPLOAD_PROGRESS, { uploadId: randomUUID() });
      await client.dispose();
      expect(error).toBeUndefined();
      expect(events).toEqual([]);
    } finally {
      await impatient.stop();
    }
  });
});
