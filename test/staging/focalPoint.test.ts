// The focal point every COVER rendition is cut around, and the ThumbHash: set,
// read, changed, refused; checked on the pixels of what the server serves.
import sharp from "sharp";
import { thumbHashToApproximateAspectRatio, thumbHashToAverageRGBA, thumbHashToRGBA } from "thumbhash";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphql, stageFile } from "../helpers/graphqlClient.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

const IMAGE_FIELDS = /* GraphQL */ `
  id width height focalPoint { x y auto } thumbhash crop { x y width height }
  thumbnails { url width height }
  srcset
  square: thumbnail(width: 64, height: 64) { url width height }
  banner: thumbnail(width: 320, height: 64) { url width height }
`;
const ADD = `mutation ($input: AddPhotosInput!) { addPhotos(input: $input) { id image { ${IMAGE_FIELDS} } } }`;
const UPDATE = `mutation ($input: UpdatePhotoInput!) { updatePhoto(input: $input) { id image { ${IMAGE_FIELDS} } } }`;
const COMMIT = `mutation ($input: CommitProfileInput!) { commitProfile(input: $input) { avatar { ${IMAGE_FIELDS} } } }`;

interface Rendition {
  url: string;
  width: number;
  height: number;
}
interface ImageResult {
  id: string;
  focalPoint: { x: number; y: number; auto: boolean };
  thumbhash: string;
  thumbnails: Rendition[];
  srcset: string;
  square: Rendition;
  banner: Rendition;
}

/**
 * 1200 × 400 of grey noise, a white square at the bottom left (centre 0.083,
 * 0.75) and a red one at the top right (centre 0.917, 0.25); a centre crop
 * shows neither.
 */
async function twoSquares(): Promise<Buffer> {
  const square = (colour: string) =>
    sharp({ create: { width: 100, height: 100, channels: 3, background: colour } })
      .png()
      .toBuffer();
  return sharp({
    create: { width: 1200, height: 400, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 8 } },
  })
    .composite([
      { input: await square("#ffffff"), left: 50, top: 250 },
      { input: await square("#e01010"), left: 1050, top: 50 },
    ])
    .png()
    .toBuffer();
}
const WHITE = { x: 100 / 1200, y: 300 / 400 };
const RED = { x: 1100 / 1200, y: 100 / 400 };

/** The shares of white and of red pixels in the picture at `url`. */
async function squaresIn(url: string): Promise<{ white: number; red: number }> {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  const { data, info } = await sharp(Buffer.from(await response.arrayBuffer()))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  let white = 0;
  let red = 0;
  for (let i = 0; i < data.length; i += 3) {
    if (data[i]! > 225 && data[i + 1]! > 225 && data[i + 2]! > 225) white += 1;
    if (data[i]! > 170 && data[i + 1]! < 90 && data[i + 2]! < 90) red += 1;
  }
  const pixels = info.width * info.height;
  return { white: white / pixels, red: red / pixels };
}

/** Every COVER rendition of the image: the presets, the srcset's, and two on-demand boxes. */
function coverRenditions(image: ImageResult): string[] {
  const srcset = image.srcset.split(", ").map((entry) => entry.split(" ")[0]!);
  return [...new Set([...image.thumbnails.map((t) => t.url), ...srcset, image.square.url, image.banner.url])];
}

describe("the focal point", () => {
  let t: TestServer;
  let picture: Buffer;
  beforeAll(async () => {
    [t, picture] = await Promise.all([startTestServer(), twoSquares()]);
  });
  afterAll(() => t.stop());

  const stage = async (token: string) => {
    const staged = await stageFile(t.graphqlUrl, picture, { token, filename: "squares.png" });
    expect(staged.body.errors).toBeUndefined();
    const imageId = staged.body.data!.stageImage.image.id as string;
    const read = await graphql(t.graphqlUrl, `query ($id: ID!) { image(id: $id) { ${IMAGE_FIELDS} } }`, { id: imageId }, token);
    expect(read.body.errors).toBeUndefined();
    return { stagedId: staged.body.data!.stageImage.id as string, imageId, image: read.body.data!.image as ImageResult };
  };
  const media = async () => (await t.files()).filter((file) => file.startsWith("media/"));

  it("is found by attention at stage time, marked auto, and every COVER rendition is cut around it", async () => {
    const token = await t.token("auto-focus");
    const { image } = await stage(token);
    expect(image.focalPoint.auto).toBe(true);
    // On one of the squares (both stand out of the noise), and each rendition shows that one.
    const near = (p: { x: number; y: number }) => Math.abs(image.focalPoint.x - p.x) < 0.1 && Math.abs(image.focalPoint.y - p.y) < 0.15;
    const found = near(WHITE) ? "white" : near(RED) ? "red" : undefined;
    expect(found, JSON.stringify(image.focalPoint)).toBeDefined();
    for (const url of coverRenditions(image)) expect((await squaresIn(url))[found!], url).toBeGreaterThan(0.01);
  });

  it("chosen in addPhotos: every COVER rendition holds the chosen square; a new point makes new URLs and the old ones go", async () => {
    const token = await t.token("chosen-focus");
    const { stagedId } = await stage(token);
    const added = await graphql(t.graphqlUrl, ADD, { input: { photos: [{ stagedImageId: stagedId, focalPoint: WHITE }] } }, token);
    expect(added.body.errors).toBeUndefined();
    const { id: photoId, image } = added.body.data!.addPhotos[0] as { id: string; image: ImageResult };
    expect(image.focalPoint).toEqual({ x: 0.083, y: 0.75, auto: false });
    const onWhite = coverRenditions(image);
    for (const url of onWhite) {
      const seen = await squaresIn(url);
      expect(seen.white, url).toBeGreaterThan(0.01);
      expect(seen.red, url).toBe(0);
    }

    const moved = await graphql(t.graphqlUrl, UPDATE, { input: { id: photoId, focalPoint: RED } }, token);
    expect(moved.body.errors).toBeUndefined();
    const after = moved.body.data!.updatePhoto.image as ImageResult;
    expect(after.focalPoint).toEqual({ x: 0.917, y: 0.25, auto: false });
    const onRed = coverRenditions(after);
    for (const url of onRed) {
      expect(onWhite).not.toContain(url);
      expect((await squaresIn(url)).red, url).toBeGreaterThan(0.01);
    }
    // The old cuts are gone: their rows, their files, their URLs.
    for (const url of onWhite) expect((await fetch(url)).status, url).toBe(404);
    const files = await media();
    for (const url of onWhite) expect(files).not.toContain(`media/${new URL(url).pathname.replace(/^\/media\//, "")}`);

    // null: the automatic point again, under the automatic names.
    const reset = await graphql(t.graphqlUrl, UPDATE, { input: { id: photoId, focalPoint: null } }, token);
    expect(reset.body.errors).toBeUndefined();
    const auto = reset.body.data!.updatePhoto.image as ImageResult;
    expect(auto.focalPoint.auto).toBe(true);
    for (const url of coverRenditions(auto)) expect(url).not.toMatch(/\.f\d+x\d+\./);
  });

  it("refuses a point outside 0..1, or a focal point without an avatar, with BAD_USER_INPUT, and leaves nothing behind", async () => {
    const token = await t.token("bad-focus");
    const { stagedId, imageId } = await stage(token);
    const before = await media();
    for (const [query, input] of [
      [ADD, { photos: [{ stagedImageId: stagedId, focalPoint: { x: 1.5, y: 0.5 } }] }],
      [ADD, { photos: [{ stagedImageId: stagedId, focalPoint: { x: 0.5, y: -0.01 } }] }],
      [COMMIT, { stagedImageId: stagedId, focalPoint: { x: Number.MAX_VALUE, y: 0 } }],
      [COMMIT, { focalPoint: { x: 0.5, y: 0.5 } }],
    ] as const) {
      const result = await graphql(t.graphqlUrl, query, { input }, token);
      expect(result.body.errors?.[0]?.extensions?.code, JSON.stringify(input)).toBe("BAD_USER_INPUT");
    }
    expect(await media()).toEqual(before);
    const knex = t.server.database.knex;
    expect(await knex("images").where({ id: imageId }).first()).toMatchObject({ status: "STAGED", focal_auto: true });
    expect(Number((await knex("pending_files").count("* as n").first())!.n)).toBe(0);
  });

  it("with a crop at commitProfile is in the crop's coordinates, and can be moved later on the current avatar", async () => {
    const token = await t.token("crop-focus");
    const { stagedId } = await stage(token);
    // The left half, 600 × 400: the white square's centre is at (100/600, 300/400) of it.
    const crop = { x: 0, y: 0, width: 600, height: 400 };
    const committed = await graphql(
      t.graphqlUrl,
      COMMIT,
      { input: { stagedImageId: stagedId, crop, focalPoint: { x: 1 / 6, y: 0.75 } } },
      token,
    );
    expect(committed.body.errors).toBeUndefined();
    const avatar = committed.body.data!.commitProfile.avatar as ImageResult & { crop: typeof crop };
    expect(avatar.crop).toEqual(crop);
    expect(avatar.focalPoint).toEqual({ x: 0.167, y: 0.75, auto: false });
    for (const url of coverRenditions(avatar)) expect((await squaresIn(url)).white, url).toBeGreaterThan(0.01);

    // Without stagedImageId it moves the current avatar's point: the crop's top right corner is plain noise.
    const moved = await graphql(t.graphqlUrl, COMMIT, { input: { focalPoint: { x: 1, y: 0 } } }, token);
    expect(moved.body.errors).toBeUndefined();
    const after = moved.body.data!.commitProfile.avatar as ImageResult;
    expect(after.focalPoint).toEqual({ x: 1, y: 0, auto: false });
    for (const url of coverRenditions(after)) {
      const seen = await squaresIn(url);
      expect(seen.white + seen.red, url).toBe(0);
    }
  });
});

describe("ThumbHash", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.stop());

  it("decodes to the image's aspect ratio and about its average colour", async () => {
    const token = await t.token("hashed");
    // Orange on the left, blue on the right, 3:2.
    const picture = await sharp({ create: { width: 600, height: 400, channels: 3, background: "#ff8000" } })
      .composite([{ input: { create: { width: 300, height: 400, channels: 3, background: "#2040c0" } }, left: 300, top: 0 }])
      .jpeg()
      .toBuffer();
    const staged = await stageFile(t.graphqlUrl, picture, { token, filename: "two.jpg" });
    const image = (
      await graphql(
        t.graphqlUrl,
        `query ($id: ID!) { image(id: $id) { thumbhash url } }`,
        { id: staged.body.data!.stageImage.image.id },
        token,
      )
    ).body.data!.image;
    const hash = Buffer.from(image.thumbhash as string, "base64");
    expect(hash.length).toBeLessThan(40);
    expect(thumbHashToApproximateAspectRatio(hash)).toBeCloseTo(1.5, 0);
    const decoded = thumbHashToRGBA(hash);
    expect(decoded.w / decoded.h).toBeGreaterThan(1.3);
    expect(decoded.w / decoded.h).toBeLessThan(1.7);
    const stats = await sharp(Buffer.from(await (await fetch(image.url)).arrayBuffer())).stats();
    const average = thumbHashToAverageRGBA(hash);
    for (const [i, channel] of (["r", "g", "b"] as const).entries()) {
      expect(Math.abs(average[channel] * 255 - stats.channels[i]!.mean), channel).toBeLessThan(20);
    }
  });

  it("is filled in on first read for an image staged before it existed, as is its focal point", async () => {
    const token = await t.token("old-image");
    const staged = await stageFile(t.graphqlUrl, await twoSquares(), { token, filename: "old.png" });
    const id = staged.body.data!.stageImage.image.id as string;
    const knex = t.server.database.knex;
    await knex("images").where({ id }).update({ thumbhash: null, focal_x: null, focal_y: null, placeholder: null, dominant_color: null });
    const read = (
      await graphql(
        t.graphqlUrl,
        `query ($id: ID!) { image(id: $id) { thumbhash placeholder dominantColor focalPoint { x y auto } } }`,
        { id },
        token,
      )
    ).body;
    expect(read.errors).toBeUndefined();
    expect(read.data!.image.thumbhash).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(read.data!.image.focalPoint.auto).toBe(true);
    const row = await knex("images").where({ id }).first();
    expect(row.thumbhash).toBe(read.data!.image.thumbhash);
    expect([row.focal_x, row.focal_y]).toEqual([read.data!.image.focalPoint.x, read.data!.image.focalPoint.y]);
    expect(row.placeholder).toMatch(/^data:image\/webp;base64,/);
  });
});
