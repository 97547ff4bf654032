// The package's client helper, in Node, against a real server.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { stageImageWithProgress, type UploadProgress, UpstageRequestError } from "../../src/client/index.js";
import { jpeg } from "../helpers/images.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { wsClient } from "../helpers/subscribe.js";

describe("stageImageWithProgress", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ MAX_FILE_SIZE: "2000000" });
  });
  afterAll(() => t.stop());

  it("subscribes, uploads, and resolves with the staged image after the pushed READY", async () => {
    const events: UploadProgress[] = [];
    const file = new File([await jpeg(900, 600)], "holiday.jpg", { type: "image/jpeg" });
    const staged = await stageImageWithProgress(file, {
      endpoint: t.graphqlUrl,
      token: await t.token("helper"),
      webSocketImpl: WebSocket,
      onProgress: (event) => events.push(event),
    });

    expect(staged.image.width).toBe(900);
    expect(staged.image.thumbnails.length).toBeGreaterThan(0);
    const phases = events.map((event) => event.phase);
    expect(phases.at(-1)).toBe("READY");
    expect(phases).toContain("PROCESSING");
    expect(new Set(events.map((event) => event.uploadId)).size).toBe(1);
    expect(events.at(-1)?.stagedImage?.id).toBe(staged.id);
    const [row] = await t.server.database.knex("images").where({ id: staged.id });
    expect(row.owner_id).toBe("helper");
  });

  it("reuses a signed-in graphql-ws client, and passes on the upload id it was given", async () => {
    const token = await t.token("reuser");
    const client = wsClient(t.graphqlUrl, token);
    try {
      const events: UploadProgress[] = [];
      const uploadId = "7f0c2a5e-1d2b-4c3d-8e4f-5a6b7c8d9e0f";
      for (const size of [300, 400]) {
        events.length = 0;
        await stageImageWithProgress(new Blob([await jpeg(size, size)], { type: "image/jpeg" }), {
          endpoint: t.graphqlUrl,
          token,
          wsClient: client,
          uploadId: size === 300 ? uploadId : undefined,
          onProgress: (event) => events.push(event),
        });
        expect(events.at(-1)?.phase).toBe("READY");
      }
      expect(await t.server.database.knex("images").where({ owner_id: "reuser" })).toHaveLength(2);
    } finally {
      await client.dispose();
    }
  });

  it("rejects with the contract's code, after passing on FAILED", async () => {
    const events: UploadProgress[] = [];
    // A real JPEG's head, so the sniffer lets it by, padded past MAX_FILE_SIZE.
    const head = await jpeg(64, 64);
    const tooLarge = new File([head, Buffer.alloc(2_100_000)], "huge.jpg", { type: "image/jpeg" });
    const staging = stageImageWithProgress(tooLarge, {
      endpoint: t.graphqlUrl,
      token: await t.token("greedy"),
      webSocketImpl: WebSocket,
      onProgress: (event) => events.push(event),
    });
    await expect(staging).rejects.toBeInstanceOf(UpstageRequestError);
    await expect(staging).rejects.toMatchObject({ code: "FILE_TOO_LARGE", status: 413 });
    expect(events.at(-1)?.phase).toBe("FAILED");
    expect(events.at(-1)?.error?.code).toBe("FILE_TOO_LARGE");
  });

  it("without a token, rejects with UNAUTHENTICATED", async () => {
    const staging = stageImageWithProgress(new Blob([await jpeg(20, 20)]), {
      endpoint: t.graphqlUrl,
      webSocketImpl: WebSocket,
      settleMs: 200,
    });
    await expect(staging).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("cancels with its signal: rejects with the abort, after passing on ABORTED", async () => {
    const events: UploadProgress[] = [];
    const controller = new AbortController();
    // A body that trickles, so the abort lands midway.
    const file = await jpeg(1200, 1200);
    let sent = 0;
    const slowFetch: typeof fetch = async (input, init) => {
      const form = init!.body as FormData;
      const request = new Request(input, { ...init, body: form });
      const whole = new Uint8Array(await request.arrayBuffer());
      const body = new ReadableStream<Uint8Array>({
        async pull(stream) {
          if (sent >= whole.length) return stream.close();
          await new Promise((r) => setTimeout(r, 5));
          stream.enqueue(whole.subarray(sent, sent + 16 * 1024));
          sent += 16 * 1024;
        },
      });
      const headers = new Headers(init!.headers);
      headers.set("content-type", request.headers.get("content-type")!);
      headers.set("content-length", String(whole.length));
      return fetch(input, { ...init, body, headers, duplex: "half" } as RequestInit);
    };
    const staging = stageImageWithProgress(new File([file], "slow.jpg", { type: "image/jpeg" }), {
      endpoint: t.graphqlUrl,
      token: await t.token("quitter"),
      webSocketImpl: WebSocket,
      fetch: slowFetch,
      signal: controller.signal,
      onProgress: (event) => {
        events.push(event);
        if (event.phase === "RECEIVING" && event.bytesReceived > 0) controller.abort();
      },
    });
    await expect(staging).rejects.toMatchObject({ name: "AbortError" });
    expect(events.at(-1)?.phase).toBe("ABORTED");
    expect(sent).toBeLessThan(file.length);
    expect(await t.server.database.knex("images").where({ owner_id: "quitter" })).toEqual([]);
  });
});
