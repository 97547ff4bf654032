// The client helper's direct door, in Node, against a real server on s3rver:
// the same callbacks, result and cancel as the other doors.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { stageImagesWithProgress, stageImageWithProgress, type UploadProgress, UpstageRequestError } from "../../src/client/index.js";
import { jpeg } from "../helpers/images.js";
import { startS3Server, type TestS3Server } from "../helpers/s3Server.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

describe("stageImageWithProgress({ direct: true })", () => {
  let s3: TestS3Server;
  let t: TestServer;
  beforeAll(async () => {
    s3 = await startS3Server();
    t = await startTestServer({ ...s3.env, MAX_FILE_SIZE: "2000000" });
  });
  afterAll(async () => {
    await t?.stop();
    await s3?.stop();
  });

  it("sends the bytes to the bucket, not to upstage, and resolves with the staged image after the pushed READY", async () => {
    const events: UploadProgress[] = [];
    const file = new File([await jpeg(900, 600)], "holiday.jpg", { type: "image/jpeg" });
    const staged = await stageImageWithProgress(file, {
      endpoint: t.graphqlUrl,
      token: await t.token("direct-helper"),
      webSocketImpl: WebSocket,
      direct: true,
      onProgress: (event) => events.push(event),
    });
    expect(staged.image.width).toBe(900);
    expect(staged.image.thumbnails.length).toBeGreaterThan(0);
    const phases = events.map((event) => event.phase);
    // RECEIVING is the helper's own count of bytes sent to the bucket: it rises to the whole file, never back.
    const receiving = events.filter((event) => event.phase === "RECEIVING");
    expect(receiving.at(-1)).toMatchObject({ bytesReceived: file.size, bytesTotal: file.size, percent: 100 });
    expect(receiving.map((event) => event.bytesReceived)).toEqual([...receiving.map((event) => event.bytesReceived)].sort((a, b) => a - b));
    expect(phases.slice(phases.indexOf("PROCESSING"))).toEqual(["PROCESSING", "READY"]);
    expect(events.at(-1)?.stagedImage?.id).toBe(staged.id);
    expect((await s3.keys()).filter((key) => key.startsWith("quarantine/"))).toEqual([]);
  });

  it("rejects with the contract's code: a refusal at creation, and one at staging after FAILED", async () => {
    const token = await t.token("direct-helper-refused");
    const tooLarge = new Blob([new Uint8Array(2_000_001)], { type: "image/jpeg" });
    const early = await stageImageWithProgress(tooLarge, {
      endpoint: t.graphqlUrl,
      token,
      webSocketImpl: WebSocket,
      direct: true,
      settleMs: 200,
    }).catch((error: unknown) => error);
    expect(early).toBeInstanceOf(UpstageRequestError);
    expect((early as UpstageRequestError).code).toBe("FILE_TOO_LARGE");

    const events: UploadProgress[] = [];
    const notAnImage = new Blob([new TextEncoder().encode("just text, not pixels".repeat(20))], { type: "image/png" });
    const late = await stageImageWithProgress(notAnImage, {
      endpoint: t.graphqlUrl,
      token,
      webSocketImpl: WebSocket,
      direct: true,
      onProgress: (event) => events.push(event),
    }).catch((error: unknown) => error);
    expect((late as UpstageRequestError).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(events.at(-1)).toMatchObject({ phase: "FAILED", error: { code: "UNSUPPORTED_MEDIA_TYPE" } });
    expect(await t.server.database.knex("direct_uploads").where({ owner_id: "direct-helper-refused" })).toEqual([]);
  });

  it("cancels with its signal before the bytes are sent: rejects with the abort after ABORTED, and its reservation is released at once", async () => {
    const token = await t.token("direct-helper-cancel");
    const controller = new AbortController();
    const events: UploadProgress[] = [];
    // The signal fires as soon as createDirectUpload has answered, before the PUT.
    const cancelAfterCreate: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const body = await response.text();
      if (typeof init?.body === "string" && init.body.includes("createDirectUpload"))
        controller.abort(new DOMException("cancelled", "AbortError"));
      return new Response(body, response);
    };
    const cancelled = await stageImageWithProgress(new Blob([await jpeg(300, 300)], { type: "image/jpeg" }), {
      endpoint: t.graphqlUrl,
      token,
      webSocketImpl: WebSocket,
      direct: true,
      fetch: cancelAfterCreate,
      signal: controller.signal,
      onProgress: (event) => events.push(event),
    }).catch((error: unknown) => error);
    expect((cancelled as DOMException).name).toBe("AbortError");
    expect(events.at(-1)?.phase).toBe("ABORTED");
    expect(await t.server.database.knex("direct_uploads").where({ owner_id: "direct-helper-cancel" })).toEqual([]);
    expect((await s3.keys()).filter((key) => key.startsWith("quarantine/"))).toEqual([]);
  });

  it("stageImagesWithProgress sends many files direct, each with its own progress, over one WebSocket", async () => {
    const files = await Promise.all([200, 300, 400, 500].map(async (size) => new Blob([await jpeg(size, size)], { type: "image/jpeg" })));
    const overall: number[] = [];
    const results = await stageImagesWithProgress(files, {
      endpoint: t.graphqlUrl,
      token: await t.token("direct-helper-many"),
      webSocketImpl: WebSocket,
      direct: true,
      concurrency: 2,
      onOverall: (progress) => overall.push(progress.bytesReceived),
    });
    // A refusal's code and words, should one come: what went wrong is in the failure's message.
    expect(results.map((result) => (result.status === "fulfilled" ? "fulfilled" : String(result.reason)))).toEqual([
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "fulfilled",
    ]);
    expect(overall.at(-1)).toBe(files.reduce((sum, file) => sum + file.size, 0));
    expect(await t.server.database.knex("images").where({ owner_id: "direct-helper-many" })).toHaveLength(4);
  });
});
