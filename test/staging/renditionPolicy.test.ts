// On-demand sizes that cannot be abused: snapped to a ladder, never upscaled,
// capped per image (least recently used out), and a per-user rate of new ones.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, graphql, stageFile } from "../helpers/graphqlClient.js";
import { fetchImage, jpeg } from "../helpers/images.js";
import { startS3Server } from "../helpers/s3Server.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

const THUMBNAIL = /* GraphQL */ `
  query Thumb($id: ID!, $w: Int!, $h: Int, $fit: ImageFit, $format: ImageFormat) {
    image(id: $id) { thumbnail(width: $w, height: $h, fit: $fit, format: $format) { url width height } }
  }
`;

async function stageOne(t: TestServer, token: string, width: number, height: number): Promise<string> {
  const staged = await stageFile(t.graphqlUrl, await jpeg(width, height), { token });
  expect(staged.body.errors).toBeUndefined();
  return staged.body.data!["stageImage"].id;
}

/** The on-demand thumbnails stored for an image (not the presets made at upload). */
async function onDemand(t: TestServer, imageId: string): Promise<string[]> {
  const rows = await t.server.database.knex("thumbnails").where({ image_id: imageId }).orderBy("variant");
  return rows.map((row) => row.variant as string).filter((variant) => !/^(125x125|200x200)\.cover\./.test(variant));
}

describe("the rendition policy", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ RENDITIONS_PER_MINUTE: "1000" });
  });
  afterAll(() => t.stop());

  it("a probe asking one image for 500 distinct sizes leaves a bounded number of files, each answer a usable URL", async () => {
    const token = await t.token("prober");
    const imageId = await stageOne(t, token, 600, 400);
    const filesBefore = (await t.files()).length;
    const seen = new Set<string>();
    for (let width = 1; width <= 500; width++) {
      const result = await graphql(t.graphqlUrl, THUMBNAIL, { id: imageId, w: width }, token);
      expect(result.body.errors).toBeUndefined();
      const thumbnail = result.body.data!["image"].thumbnail;
      expect(thumbnail.width).toBeGreaterThanOrEqual(Math.min(width, 600));
      seen.add(thumbnail.url);
    }
    // One file per step of the ladder up to 500 (the 640 step is the original's 600).
    const made = await onDemand(t, imageId);
    expect(made.length).toBeLessThanOrEqual(14);
    expect(seen.size).toBe(made.length);
    expect((await t.files()).length - filesBefore).toBe(made.length);
    for (const url of [...seen].slice(0, 3)) expect((await fetch(url)).status).toBe(200);
  });

  it("never upscales: a size wider than the original is answered with the original's size", async () => {
    const token = await t.token("upscaler");
    const imageId = await stageOne(t, token, 300, 200);
    const wide = (await graphql(t.graphqlUrl, THUMBNAIL, { id: imageId, w: 1024 }, token)).body.data!["image"].thumbnail;
    expect([wide.width, wide.height]).toEqual([300, 200]);
    expect((await fetchImage(wide.url)).metadata.width).toBe(300);
    // A box larger than the original keeps its shape and shrinks to fit it.
    const box = (await graphql(t.graphqlUrl, THUMBNAIL, { id: imageId, w: 1024, h: 1024 }, token)).body.data!["image"].thumbnail;
    expect([box.width, box.height]).toEqual([200, 200]);
  });
});

describe("MAX_RENDITIONS_PER_IMAGE", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ MAX_RENDITIONS_PER_IMAGE: "3" });
  });
  afterAll(() => t.stop());

  it("keeps at most that many on-demand renditions per image, evicting the least recently used with its file", async () => {
    const token = await t.token("collector");
    const imageId = await stageOne(t, token, 800, 600);
    const ask = async (w: number) =>
      (await graphql(t.graphqlUrl, THUMBNAIL, { id: imageId, w }, token)).body.data!["image"].thumbnail as { url: string; width: number };
    const first = await ask(64);
    await ask(96);
    await ask(128);
    expect(await onDemand(t, imageId)).toHaveLength(3);
    // The first is used again; the second is now the least recently used.
    await t.server.database
      .knex("thumbnails")
      .where({ image_id: imageId })
      .update({ used_at: new Date(Date.now() - 3 * 60 * 60 * 1000) });
    await ask(64);
    await t.server.database
      .knex("thumbnails")
      .where({ image_id: imageId })
      .whereLike("variant", "128x%")
      .update({ used_at: new Date(Date.now() - 60_000) });
    await ask(160);
    const kept = await onDemand(t, imageId);
    expect(kept).toHaveLength(3);
    expect(kept.some((variant) => variant.startsWith("96x"))).toBe(false);
    expect(kept.some((variant) => variant.startsWith("64x"))).toBe(true);
    expect((await fetch(first.url)).status).toBe(200);
    // The presets made at upload are never evicted.
    expect(await t.server.database.knex("thumbnails").where({ image_id: imageId }).whereLike("variant", "125x125.cover.%")).toHaveLength(1);
    expect(await t.server.database.knex("thumbnails").where({ image_id: imageId }).whereLike("variant", "200x200.cover.%")).toHaveLength(1);
    // Asked again, an evicted size is made again.
    expect((await ask(96)).width).toBe(96);
  });
});

describe("an answered rendition URL", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ MAX_RENDITIONS_PER_IMAGE: "3", RENDITIONS_PER_MINUTE: "1000" });
  });
  afterAll(() => t.stop());

  it.each([
    ["a cold server", "cacher"],
    ["a busy server", "busy-cacher"],
  ])(
    "stays fetchable after the cap evicts its file, on %s: ten sizes asked twice each, all at once, each answer 200 at their size, and the cap still holds",
    async (where, username) => {
      const token = await t.token(username);
      const imageId = await stageOne(t, token, 900, 600);
      const widths = [16, 32, 48, 64, 80, 96, 128, 160, 192, 256];
      const burst = (id: string, bearer: string) =>
        Promise.all([...widths, ...widths].map((w) => graphql(t.graphqlUrl, THUMBNAIL, { id, w }, bearer)));
      // Busy: another user's image takes the same burst at the same time.
      const neighbour = where === "a busy server" ? await t.token(`${username}-neighbour`) : undefined;
      const neighbourImage = neighbour && (await stageOne(t, neighbour, 800, 600));
      // Each size twice at once: a request's eviction may remove a row another has just made or read.
      const [results, neighbourResults = []] = await Promise.all([
        burst(imageId, token),
        ...(neighbour && neighbourImage ? [burst(neighbourImage, neighbour)] : []),
      ]);
      for (const result of [...results, ...neighbourResults]) expect(result.body.errors).toBeUndefined();
      const answers = results.map((result) => result.body.data!["image"].thumbnail as { url: string; width: number });
      expect(await onDemand(t, imageId)).toHaveLength(3);
      if (neighbourImage) expect(await onDemand(t, neighbourImage)).toHaveLength(3);
      // A client that cached the answers (Apollo Client does) fetches them later, in any order.
      for (const answer of [...answers].reverse()) {
        const { response, metadata } = await fetchImage(answer.url);
        expect(response.status).toBe(200);
        expect(metadata.width).toBe(answer.width);
      }
      expect((await onDemand(t, imageId)).length).toBeLessThanOrEqual(3);
    },
  );

  it("is rendered again only for a size the policy answers, of a live image: a forged size or a deleted image is 404", async () => {
    const token = await t.token("forger");
    const imageId = await stageOne(t, token, 900, 600);
    const { url } = (await graphql(t.graphqlUrl, THUMBNAIL, { id: imageId, w: 64 }, token)).body.data!["image"].thumbnail as {
      url: string;
    };
    expect(url).toMatch(/\.64xauto\.cover\.jpg$/);
    // 65 is not on the ladder, and 2000 is past THUMBNAIL_MAX_SIZE: never made, never rendered on a miss.
    for (const forged of [url.replace(".64xauto.", ".65xauto."), url.replace(".64xauto.", ".2000xauto.")])
      expect((await fetch(forged)).status).toBe(404);
    expect(await onDemand(t, imageId)).toEqual([expect.stringMatching(/^64xauto\.cover\./)]);
    const discarded = await graphql(t.graphqlUrl, "mutation($id: ID!) { discardStagedImage(id: $id) }", { id: imageId }, token);
    expect(discarded.body.errors).toBeUndefined();
    expect((await fetch(url)).status).toBe(404);
  });
});

describe("an answered rendition URL, with STORAGE=s3", () => {
  it("is the server's /media/ one, so it is rendered again after an eviction; the presets keep the bucket's URLs", async () => {
    const s3 = await startS3Server();
    const t = await startTestServer({ ...s3.env, MAX_RENDITIONS_PER_IMAGE: "1" });
    try {
      const token = await t.token("bucket-cacher");
      const staged = await stageFile(t.graphqlUrl, await jpeg(900, 600), { token });
      const id = staged.body.data!["stageImage"].id as string;
      const preset = (staged.body.data!["stageImage"].image.thumbnails as { url: string }[])[0]!.url;
      expect(preset.startsWith(`${t.url}/media/`)).toBe(false);
      const ask = async (w: number) =>
        (await graphql(t.graphqlUrl, THUMBNAIL, { id, w }, token)).body.data!["image"].thumbnail as { url: string; width: number };
      const first = await ask(64);
      expect(first.url.startsWith(`${t.url}/media/`)).toBe(true);
      await ask(96);
      // 64 was evicted from the bucket by 96; its URL still answers.
      expect(await onDemand(t, id)).toEqual([expect.stringMatching(/^96xauto\./)]);
      const { response, metadata } = await fetchImage(first.url);
      expect(response.status).toBe(200);
      expect(metadata.width).toBe(64);
    } finally {
      await t.stop();
      await s3.stop();
    }
  });
});

describe("RENDITIONS_PER_MINUTE", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ RENDITIONS_PER_MINUTE: "2" });
  });
  afterAll(() => t.stop());

  it("refuses a user's new sizes past the rate with RATE_LIMITED; sizes made before still answer, and other users are not held back", async () => {
    const token = await t.token("looper");
    const imageId = await stageOne(t, token, 800, 600);
    for (const w of [64, 96]) expect((await graphql(t.graphqlUrl, THUMBNAIL, { id: imageId, w }, token)).body.errors).toBeUndefined();
    const third = await graphql(t.graphqlUrl, THUMBNAIL, { id: imageId, w: 128 }, token);
    expect(errorCode(third)).toBe("RATE_LIMITED");
    expect(third.body.errors![0]!.message).toContain("RENDITIONS_PER_MINUTE");
    expect((await graphql(t.graphqlUrl, THUMBNAIL, { id: imageId, w: 60 }, token)).body.data!["image"].thumbnail.width).toBe(64);
    const other = await t.token("bystander");
    expect((await graphql(t.graphqlUrl, THUMBNAIL, { id: imageId, w: 128 }, other)).body.errors).toBeUndefined();
  });
});
