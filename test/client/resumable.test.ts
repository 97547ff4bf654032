// The client helper's resumable mode: tus-js-client under stageImageWithProgress,
// resuming after a cut connection, with the same pushed progress and result.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { stageImageWithProgress, type UploadProgress } from "../../src/client/stageImageWithProgress.js";
import { UpstageRequestError } from "../../src/client/UpstageRequestError.js";
import { scenery } from "../helpers/images.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { startTcpProxy } from "../helpers/tcpProxy.js";

describe("stageImageWithProgress(file, { resumable: true })", () => {
  let t: TestServer;
  let photo: Buffer;
  beforeAll(async () => {
    [t, photo] = await Promise.all([startTestServer(), scenery(1400, 1000)]);
  });
  afterAll(() => t?.stop());

  it("stages over tus, resumes after the connection drops at about half, and says where it resumed", async () => {
    const server = new URL(t.url);
    const proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port) });
    const events: UploadProgress[] = [];
    const resumedAt: number[] = [];
    let cut = false;
    try {
      const staged = await stageImageWithProgress(new Blob([photo], { type: "image/jpeg" }), {
        endpoint: t.graphqlUrl,
        token: await t.token("resumer"),
        webSocketImpl: WebSocket,
        resumable: {
          endpoint: `http://127.0.0.1:${proxy.port}/uploads/`,
          chunkSize: 40 * 1024,
          retryDelays: [50, 100, 200, 400],
          onResumed: (bytes, total) => resumedAt.push(bytes / total),
        },
        onProgress(event) {
          events.push(event);
          if (!cut && event.phase === "RECEIVING" && (event.percent ?? 0) > 50) {
            cut = true;
            void proxy.cut().then(() => setTimeout(() => void proxy.restore(), 100));
          }
        },
      });
      expect(staged.image).toMatchObject({ width: 1400, height: 1000, contentType: "image/jpeg" });
      expect(staged.image.thumbnails.length).toBeGreaterThan(0);
      expect(cut).toBe(true);
      expect(resumedAt.length).toBeGreaterThan(0);
      expect(resumedAt[0]).toBeGreaterThan(0.4);
      expect(resumedAt[0]).toBeLessThan(1);
      const received = events.filter((e) => e.phase === "RECEIVING").map((e) => e.bytesReceived);
      for (let i = 1; i < received.length; i++) expect(received[i]).toBeGreaterThanOrEqual(received[i - 1]!);
      expect(events.at(-1)).toMatchObject({ phase: "READY", stagedImage: { id: staged.id } });
    } finally {
      await proxy.close();
    }
  });

  it("throws the contract's error for a file that is not an image, after its FAILED event", async () => {
    const phases: string[] = [];
    const failure = await stageImageWithProgress(new Blob([Buffer.from("just some words\n".repeat(500))]), {
      endpoint: t.graphqlUrl,
      token: await t.token("resumer"),
      webSocketImpl: WebSocket,
      resumable: true,
      onProgress: ({ phase }) => phases.push(phase),
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UpstageRequestError);
    expect((failure as UpstageRequestError).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(phases.at(-1)).toBe("FAILED");
  });
});
