import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, graphql, stageFile } from "../helpers/graphqlClient.js";
import { jpeg, photo } from "../helpers/images.js";
import { metricValue } from "../helpers/metricValue.js";
import { neighbourUpload } from "../helpers/neighbourUpload.js";
import { DISCARD } from "../helpers/operations.js";
import { rawUpload } from "../helpers/rawUpload.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { createTusUpload } from "../helpers/tus.js";
import { waitFor } from "../helpers/waitFor.js";

let t: TestServer;
let file: Buffer;

beforeAll(async () => {
  file = await jpeg(300, 300);
  // Room for one image of this size, not two.
  t = await startTestServer({ QUOTA_BYTES: String(file.length + 100) });
});
afterAll(() => t.stop());

describe("quota", () => {
  it("refuses the upload that would cross it with QUOTA_EXCEEDED, leaving nothing behind", async () => {
    const token = await t.token("q1");
    const first = await stageFile(t.graphqlUrl, file, { token });
    expect(first.body.errors).toBeUndefined();
    const before = await t.files();
    const second = await stageFile(t.graphqlUrl, file, { token });
    expect(errorCode(second)).toBe("QUOTA_EXCEEDED");
    expect(await t.files()).toEqual(before);
  });

  it("is per user", async () => {
    await stageFile(t.graphqlUrl, file, { token: await t.token("q2") });
    const other = await stageFile(t.graphqlUrl, file, { token: await t.token("q3") });
    expect(other.body.errors).toBeUndefined();
  });

  it("frees the bytes of a discarded image", async () => {
    const token = await t.token("q4");
    const first = await stageFile(t.graphqlUrl, file, { token });
    expect(errorCode(await stageFile(t.graphqlUrl, file, { token }))).toBe("QUOTA_EXCEEDED");
    await graphql(t.graphqlUrl, DISCARD, { id: first.body.data!["stageImage"].id }, token);
    expect((await stageFile(t.graphqlUrl, file, { token })).body.errors).toBeUndefined();
  });

  it("frees the bytes of a swept image", async () => {
    const token = await t.token("q5");
    const first = await stageFile(t.graphqlUrl, file, { token });
    await t.server.database
      .knex("images")
      .where({ id: first.body.data!["stageImage"].id })
      .update({ expires_at: new Date(0) });
    await t.server.sweeper.sweep();
    expect((await stageFile(t.graphqlUrl, file, { token })).body.errors).toBeUndefined();
  });
});

describe("quota under a burst", () => {
  let roomForTwo: TestServer;
  let files: Buffer[];
  let quota: number;
  beforeAll(async () => {
    // Four different photos of about the same size (no two share stored bytes).
    files = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        photo(600 + i, 400)
          .jpeg({ quality: 90 })
          .toBuffer(),
      ),
    );
    // The quota counts stored bytes (the normalized original), so ask a server what one of these stores as.
    const probe = await startTestServer();
    try {
      const answer = await stageFile(probe.graphqlUrl, files[0]!, { token: await probe.token("probe") });
      quota = Math.floor(answer.body.data!["stageImage"].image.byteSize * 2.5);
    } finally {
      await probe.stop();
    }
    roomForTwo = await startTestServer({ QUOTA_BYTES: String(quota) });
  });
  afterAll(() => roomForTwo.stop());

  // In this order: the first burst meets a server that has served nothing yet.
  it.each([
    ["a cold server", "first"],
    ["a busy server", "second"],
  ])(
    "holds on %s when one user sends four uploads at once: at most what fits is staged, each other one is QUOTA_EXCEEDED, and nothing is left behind",
    async (where, username) => {
      const token = await roomForTwo.token(username);
      // Busy: another user's slow upload is in flight through the burst.
      const neighbour = await neighbourUpload(roomForTwo, where === "a busy server", `${username}-neighbour`);
      const answers = await Promise.all(files.map((file) => stageFile(roomForTwo.graphqlUrl, file, { token })));
      expect((await neighbour.done)?.status ?? 200).toBe(200);
      const staged = answers
        .filter((answer) => !answer.body.errors)
        .map((answer) => answer.body.data!["stageImage"].image.byteSize as number);
      const refused = answers.filter((answer) => answer.body.errors).map(errorCode);
      expect(refused.length).toBeGreaterThan(0);
      expect(new Set(refused)).toEqual(new Set(["QUOTA_EXCEEDED"]));
      expect(staged.reduce((sum, bytes) => sum + bytes, 0)).toBeLessThanOrEqual(quota);
      // The refused ones left no scratch file, and no stored file without its row.
      const { knex } = roomForTwo.server.database;
      const named = new Set<string>([...(await knex("images").pluck("storage_key")), ...(await knex("thumbnails").pluck("storage_key"))]);
      const left = await roomForTwo.files();
      expect(left.filter((file) => file.startsWith("tmp/"))).toEqual([]);
      expect(left.filter((file) => file.startsWith("media/") && !named.has(file.slice("media/".length)))).toEqual([]);
    },
  );

  it.each([
    ["a cold server", "tus-first"],
    ["a busy server", "tus-second"],
  ])(
    "holds on %s for tus creations at once, and for both doors together: their declared bytes are reserved as each is created",
    async (where, username) => {
      const token = await roomForTwo.token(username);
      const neighbour = await neighbourUpload(roomForTwo, where === "a busy server", `${username}-neighbour`);
      // Each declares 40% of the quota: two fit.
      const create = () => createTusUpload(roomForTwo.url, { token, length: Math.floor(quota * 0.4) });
      const creations = await Promise.all([create(), create(), create(), create()]);
      expect(creations.map((response) => response.status).sort()).toEqual([201, 201, 403, 403]);
      // What the two hold is reserved: an upload through the other door that would pass the quota with them is refused.
      expect(errorCode(await stageFile(roomForTwo.graphqlUrl, files[0]!, { token }))).toBe("QUOTA_EXCEEDED");
      expect((await neighbour.done)?.status ?? 200).toBe(200);
      for (const created of creations.filter((response) => response.status === 201)) {
        expect(
          (
            await fetch(new URL(created.headers.get("location")!, roomForTwo.url), {
              method: "DELETE",
              headers: { authorization: `Bearer ${token}`, "tus-resumable": "1.0.0" },
            })
          ).status,
        ).toBe(204);
      }
    },
  );

  it("holds between the doors: a multipart upload under way when tus creations take the room is refused as its row would be inserted", async () => {
    const token = await roomForTwo.token("between-doors");
    const slow = rawUpload(roomForTwo.graphqlUrl, files[1]!, { token, chunkSize: 4096, delayMs: 10 });
    await waitFor(async () => (await metricValue(roomForTwo.url, "upstage_active_uploads")) === 1, "the multipart upload is in flight");
    const create = () => createTusUpload(roomForTwo.url, { token, length: Math.floor(quota * 0.4) });
    expect([(await create()).status, (await create()).status]).toEqual([201, 201]);
    const answer = await slow;
    expect(answer.body.errors?.[0]?.extensions?.code).toBe("QUOTA_EXCEEDED");
    expect(await roomForTwo.server.database.knex("images").where({ owner_id: "between-doors" })).toEqual([]);
  });
});
