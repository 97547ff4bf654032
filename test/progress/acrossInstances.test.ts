import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createRedisProgressBus } from "../../src/progress/createRedisProgressBus.js";
import type { UploadEvent } from "../../src/progress/UploadEvent.js";
import { describeWhen } from "../helpers/describeWhen.js";
import { jpeg } from "../helpers/images.js";
import { rawUpload } from "../helpers/rawUpload.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { collect, UPLOAD_PROGRESS, wsClient } from "../helpers/subscribe.js";

const redisUrl = process.env["REDIS_URL"];

// Instances share state only through PostgreSQL and Redis, so this runs in the
// suite's PostgreSQL pass, where both are set (.ci/run starts them).
describeWhen(
  !process.env["DATABASE_URL"] || !redisUrl ? "DATABASE_URL and REDIS_URL (a PostgreSQL and a Redis to share; CI sets both)" : undefined,
  "two instances over one PostgreSQL and one Redis",
  {},
  () => {
    let a: TestServer;
    let b: TestServer;

    beforeAll(async () => {
      a = await startTestServer({ REDIS_URL: redisUrl! });
      // Same database, same media volume and development secret: a second replica.
      b = await startTestServer({ REDIS_URL: redisUrl!, DATABASE_URL: a.databaseUrl!, DATA_DIR: a.dataDir });
    });
    afterAll(async () => {
      await b?.stop();
      await a?.stop();
    });

    it("a subscriber on A sees every event of an upload to B, in order", async () => {
      const token = await a.token("roamer");
      const uploadId = randomUUID();
      const client = wsClient(a.graphqlUrl, token);
      const watching = collect(client, UPLOAD_PROGRESS, { uploadId });
      await a.subscribed(uploadId);

      const upload = await rawUpload(b.graphqlUrl, await jpeg(400, 400), { token, uploadId, chunkSize: 8192, delayMs: 10 });
      const { events, error } = await watching;
      await client.dispose();

      expect(error).toBeUndefined();
      expect(upload.status).toBe(200);
      const phases = events.map((e) => e.uploadProgress.phase);
      expect(phases.filter((p) => p === "RECEIVING").length).toBeGreaterThan(2);
      expect(phases.slice(-2)).toEqual(["PROCESSING", "READY"]);
      const bytes = events.map((e) => e.uploadProgress.bytesReceived);
      expect([...bytes].sort((x, y) => x - y)).toEqual(bytes);
      expect(events.at(-1).uploadProgress.stagedImage.id).toBe(upload.body.data.stageImage.id);
    });

    it("an uploadId claimed on one instance is refused to another user on the other", async () => {
      const uploadId = randomUUID();
      const owner = wsClient(a.graphqlUrl, await a.token("claimer"));
      const ownerWatch = collect(owner, UPLOAD_PROGRESS, { uploadId });
      await a.subscribed(uploadId);
      const upload = await rawUpload(b.graphqlUrl, await jpeg(20, 20), { token: await b.token("intruder"), uploadId });
      expect(upload.body.errors[0].extensions.code).toBe("FORBIDDEN");
      await owner.dispose();
      await ownerWatch;
    });
  },
);

describeWhen(!redisUrl ? "REDIS_URL (a Redis; CI sets it)" : undefined, "the Redis bus", {}, () => {
  it("keeps uploads apart and each upload's events in order, with no duplicate from the replay", async () => {
    const publisher = await createRedisProgressBus({ url: redisUrl! });
    const listener = await createRedisProgressBus({ url: redisUrl! });
    try {
      const ids = [randomUUID(), randomUUID()];
      const streams = ids.map((id) => listener.subscribe(id));
      await Promise.all(streams.map((stream) => stream.live));
      for (let seq = 1; seq <= 50; seq++) {
        for (const uploadId of ids) {
          const base = { uploadId, seq, bytesReceived: seq * 10, bytesTotal: 500, at: Date.now() };
          await publisher.publish(seq < 50 ? { ...base, phase: "RECEIVING" } : { ...base, phase: "ABORTED" });
        }
      }
      for (const [i, stream] of streams.entries()) {
        const got: UploadEvent[] = [];
        for await (const event of stream) got.push(event);
        expect(got.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, k) => k + 1));
        expect(got.every((e) => e.uploadId === ids[i])).toBe(true);
      }
    } finally {
      await publisher.close();
      await listener.close();
    }
  });
});
