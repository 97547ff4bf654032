import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stageFile } from "../helpers/graphqlClient.js";
import { photo } from "../helpers/images.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { collect, UPLOAD_PROGRESS, wsClient } from "../helpers/subscribe.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ IMAGE_CONCURRENCY: "1" });
});
afterAll(() => t.stop());

describe("the image queue", () => {
  it("with IMAGE_CONCURRENCY=1, finishes images in the order their bytes arrived (first come, first served)", async () => {
    const uploads = 5;
    const finished: number[] = [];
    const watched: Promise<unknown>[] = [];
    const answers: Promise<unknown>[] = [];
    const clients: ReturnType<typeof wsClient>[] = [];
    for (let i = 0; i < uploads; i++) {
      // A user each, and bytes of their own, so no upload is served by dedupe.
      const token = await t.token(`queued-${i}`);
      const uploadId = randomUUID();
      const client = wsClient(t.graphqlUrl, token);
      clients.push(client);
      let received!: () => void;
      const arrived = new Promise<void>((resolve) => (received = resolve));
      watched.push(
        collect(client, UPLOAD_PROGRESS, { uploadId }, ({ uploadProgress }) => {
          if (uploadProgress.phase === "PROCESSING") received();
          if (uploadProgress.phase === "READY") finished.push(i);
        }),
      );
      const bytes = await photo(1600 + i, 1200)
        .jpeg({ quality: 92 })
        .toBuffer();
      answers.push(stageFile(t.graphqlUrl, bytes, { token, uploadId }));
      // The next upload starts only once this one's bytes are all in: the order of arrival is known.
      await arrived;
    }
    const results = (await Promise.all(answers)) as { body: { errors?: unknown } }[];
    for (const result of results) expect(result.body.errors).toBeUndefined();
    await Promise.all(watched);
    expect(finished).toEqual([0, 1, 2, 3, 4]);
    await Promise.all(clients.map((client) => client.dispose()));
  });
});
