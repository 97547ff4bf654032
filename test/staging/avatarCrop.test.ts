// The avatar crop chosen at commit: every thumbnail of the avatar is made from it.
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphql, stageFile } from "../helpers/graphqlClient.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

const COMMIT = /* GraphQL */ `
  mutation ($input: CommitProfileInput!) {
    commitProfile(input: $input) {
      avatar { id url width height crop { x y width height } srcset thumbnails { url width height } thumbnail(width: 50) { url width height } }
    }
  }
`;

/** Red on the left half, blue on the right. */
function halves(): Promise<Buffer> {
  return sharp({ create: { width: 400, height: 200, channels: 3, background: "#ff0000" } })
    .composite([{ input: { create: { width: 200, height: 200, channels: 3, background: "#0000ff" } }, left: 200, top: 0 }])
    .png()
    .toBuffer();
}

async function meanColour(url: string): Promise<{ r: number; b: number; width: number; height: number }> {
  const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
  const { channels, info } = { ...(await sharp(bytes).stats()), info: await sharp(bytes).metadata() };
  return { r: channels[0]!.mean, b: channels[2]!.mean, width: info.width!, height: info.height! };
}

describe("commitProfile with a crop", () => {
  let t: TestServer;
  let picture: Buffer;
  beforeAll(async () => {
    [t, picture] = await Promise.all([startTestServer(), halves()]);
  });
  afterAll(() => t.stop());

  const stage = async (token: string) => (await stageFile(t.graphqlUrl, picture, { token, filename: "halves.png" })).body.data!.stageImage;
  const media = async () => (await t.files()).filter((file) => file.startsWith("media/"));

  it("makes the presets and every later size from the crop, keeps the original whole, and drops the uncropped presets", async () => {
    const token = await t.token("cropper");
    const staged = await stage(token);
    const uncropped: string[] = staged.image.thumbnails.map((th: { url: string }) => new URL(th.url).pathname.replace("/media/", "media/"));

    const result = await graphql(
      t.graphqlUrl,
      COMMIT,
      { input: { stagedImageId: staged.id, crop: { x: 200, y: 0, width: 200, height: 200 } } },
      token,
    );
    expect(result.body.errors).toBeUndefined();
    const avatar = result.body.data!.commitProfile.avatar;
    expect(avatar.crop).toEqual({ x: 200, y: 0, width: 200, height: 200 });
    expect([avatar.width, avatar.height]).toEqual([400, 200]);
    expect(avatar.srcset).toMatch(/ 125w, .* 200w$/);

    for (const thumbnail of [...avatar.thumbnails, avatar.thumbnail]) {
      const colour = await meanColour(thumbnail.url);
      expect(colour.b).toBeGreaterThan(200); // all blue: the right half only
      expect(colour.r).toBeLessThan(30);
      expect(colour.width).toBe(colour.height);
    }
    const whole = await meanColour(avatar.url);
    expect(whole.width).toBe(400);
    const files = await media();
    for (const file of uncropped) expect(files).not.toContain(file);
  });

  it("refuses a crop outside the image, or without a staged image, and leaves nothing behind", async () => {
    const token = await t.token("miscropper");
    const staged = await stage(token);
    const before = await media();
    for (const input of [
      { stagedImageId: staged.id, crop: { x: 300, y: 0, width: 200, height: 200 } },
      { stagedImageId: staged.id, crop: { x: 0, y: 0, width: 0, height: 10 } },
      { crop: { x: 0, y: 0, width: 10, height: 10 } },
    ]) {
      const result = await graphql(t.graphqlUrl, COMMIT, { input }, token);
      expect(result.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    }
    expect(await media()).toEqual(before);
    expect((await t.server.database.knex("images").where({ id: staged.image.id }).first()).status).toBe("STAGED");
  });

  it("leaves the same bytes staged again uncropped", async () => {
    const token = await t.token("twice-cropped");
    const first = await stage(token);
    await graphql(t.graphqlUrl, COMMIT, { input: { stagedImageId: first.id, crop: { x: 0, y: 0, width: 200, height: 200 } } }, token);
    const again = await stage(token);
    expect(again.image.url).toBe(first.image.url);
    expect(again.image.thumbnails).toHaveLength(2);
    for (const thumbnail of again.image.thumbnails) expect(thumbnail.url).not.toMatch(/\.c\d+x\d+x\d+x\d+\./);
    const whole = await graphql(
      t.graphqlUrl,
      `query ($id: ID!) { image(id: $id) { crop { x } thumbnail(width: 100, fit: INSIDE) { url } } }`,
      { id: again.image.id },
      token,
    );
    expect(whole.body.data!.image.crop).toBeNull();
    const colour = await meanColour(whole.body.data!.image.thumbnail.url);
    // 100 snaps up to the 128 step; INSIDE keeps the 2:1 shape.
    expect([colour.width, colour.height]).toEqual([128, 64]);
    expect(colour.r).toBeGreaterThan(80);
    expect(colour.b).toBeGreaterThan(80);
  });
});
