// An uploadId names one upload at a time, whatever its door: a burst of
// uploads naming it stages one, and each other is refused with its code.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { metricValue } from "../helpers/metricValue.js";
import { neighbourUpload } from "../helpers/neighbourUpload.js";
import { rawUpload } from "../helpers/rawUpload.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { collect, UPLOAD_PROGRESS, wsClient } from "../helpers/subscribe.js";
import { createTusUpload, refusalOf, tusUpload } from "../helpers/tus.js";
import { waitFor } from "../helpers/waitFor.js";

describe("one uploadId, one upload in flight", () => {
  let t: TestServer;
  let files: Buffer[];
  beforeAll(async () => {
    [t, files] = await Promise.all([
      startTestServer({ MAX_CONCURRENT_UPLOADS: "8" }),
      Promise.all([1, 2, 3, 4].map((i) => jpeg(300 + i, 200))),
    ]);
  });
  afterAll(() => t?.stop());

  it.each([
    ["a cold server", "cold"],
    ["a busy server", "busy"],
  ])(
    "on %s, of four uploads naming one uploadId at once one is staged, the others are RATE_LIMITED, and its subscriber hears one ending",
    async (where, username) => {
      const token = await t.token(`same-id-${username}`);
      // Busy: another user's slow upload is in flight through the burst.
      const neighbour = await neighbourUpload(t, where === "a busy server", `${username}-neighbour`);
      const uploadId = randomUUID();
      const ws = wsClient(t.graphqlUrl, token);
      const endings: unknown[] = [];
      const watching = collect(ws, UPLOAD_PROGRESS, { uploadId }, (event) => {
        if (event.uploadProgress.phase !== "RECEIVING" && event.uploadProgress.phase !== "PROCESSING")
          endings.push(event.uploadProgress.phase);
      });
      await t.subscribed(uploadId);
      const answers = await Promise.all(files.map((file) => stageFile(t.graphqlUrl, file, { token, uploadId })));
      expect((await neighbour.done)?.status ?? 200).toBe(200);
      const staged = answers.filter((answer) => !answer.body.errors);
      expect(staged).toHaveLength(1);
      expect(answers.filter((answer) => answer.body.errors).map(errorCode)).toEqual(["RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED"]);
      await waitFor(() => endings.length > 0, "the upload's ending is heard");
      await ws.dispose();
      await watching;
      expect(endings).toEqual(["READY"]);
      expect(await t.server.database.knex("images").where({ owner_id: `same-id-${username}` })).toHaveLength(1);
      // Once it has ended, the uploadId may name the next upload.
      expect((await stageFile(t.graphqlUrl, await jpeg(50, 50), { token, uploadId })).body.errors).toBeUndefined();
    },
  );

  it("holds across doors: a tus upload cannot take an uploadId a multipart upload holds, nor four tus creations one", async () => {
    const token = await t.token("same-id-both-doors");
    const headers = { authorization: `Bearer ${token}` };
    const uploadId = randomUUID();
    const slow = rawUpload(t.graphqlUrl, await jpeg(400, 400), { token, uploadId, chunkSize: 4096, delayMs: 10 });
    await waitFor(async () => (await metricValue(t.url, "upstage_active_uploads")) === 1, "the multipart upload is in flight");
    const meanwhile = await tusUpload(await jpeg(60, 60), { endpoint: `${t.url}/uploads/`, headers, metadata: { uploadId } }).catch(
      (error: unknown) => error,
    );
    expect(refusalOf(meanwhile)).toMatchObject({ status: 429, body: { error: { code: "RATE_LIMITED" } } });
    expect((await slow).status).toBe(200);

    const next = randomUUID();
    const creations = await Promise.all([1, 2, 3, 4].map(() => createTusUpload(t.url, { token, length: 1000, uploadId: next })));
    expect(creations.map((response) => response.status).sort()).toEqual([201, 429, 429, 429]);
    expect(await t.server.database.knex("resumable_uploads").where({ owner_id: "same-id-both-doors" })).toHaveLength(1);
  });
});
