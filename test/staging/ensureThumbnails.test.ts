import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, graphql, stageFile } from "../helpers/graphqlClient.js";
import { fetchImage, jpeg } from "../helpers/images.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

let t: TestServer;
let token: string;
let imageId: string;

const THUMBNAIL = /* GraphQL */ `
  query Thumb($id: ID!, $w: Int!, $h: Int, $fit: ImageFit, $format: ImageFormat) {
    image(id: $id) { thumbnail(width: $w, height: $h, fit: $fit, format: $format) { url width height format } }
  }
`;

beforeAll(async () => {
  t = await startTestServer({ THUMBNAIL_MAX_SIZE: "800" });
  token = await t.token("thumbs");
  const staged = await stageFile(t.graphqlUrl, await jpeg(600, 400), { token });
  imageId = staged.body.data!["stageImage"].id;
});
afterAll(() => t.stop());

async function thumbnail(variables: Record<string, unknown>) {
  return graphql(t.graphqlUrl, THUMBNAIL, { id: imageId, ...variables }, token);
}

describe("Image.thumbnail", () => {
  it("returns a preset as stored at upload", async () => {
    const rowsBefore = await t.server.database.knex("thumbnails").where({ image_id: imageId });
    const result = await thumbnail({ w: 125, h: 125 });
    expect(result.body.data!["image"].thumbnail).toMatchObject({ width: 125, height: 125, format: "JPEG" });
    expect(await t.server.database.knex("thumbnails").where({ image_id: imageId })).toHaveLength(rowsBefore.length);
  });

  it("makes another size on first request (snapped up to the RENDITION_WIDTHS ladder), keeps it, and answers the second from storage", async () => {
    const first = await thumbnail({ w: 320, h: 180, format: "WEBP" });
    const made = first.body.data!["image"].thumbnail;
    // 320 is a step; 180 is not, and COVER's height snaps up to the next one, 192.
    expect(made).toMatchObject({ width: 320, height: 192, format: "WEBP" });
    const { metadata } = await fetchImage(made.url);
    expect([metadata.format, metadata.width, metadata.height]).toEqual(["webp", 320, 192]);

    const rows = await t.server.database.knex("thumbnails").where({ image_id: imageId });
    // Any size that snaps to the same step is the same file.
    const second = await thumbnail({ w: 300, h: 190, format: "WEBP" });
    expect(second.body.data!["image"].thumbnail.url).toBe(made.url);
    expect(await t.server.database.knex("thumbnails").where({ image_id: imageId })).toHaveLength(rows.length);
  });

  it("keeps the aspect ratio without a height, and fits inside a box with INSIDE", async () => {
    expect((await thumbnail({ w: 320 })).body.data!["image"].thumbnail).toMatchObject({ width: 320, height: 213 });
    expect((await thumbnail({ w: 128, h: 128, fit: "INSIDE" })).body.data!["image"].thumbnail).toMatchObject({ width: 128, height: 85 });
    const contain = (await thumbnail({ w: 128, h: 128, fit: "CONTAIN", format: "PNG" })).body.data!["image"].thumbnail;
    expect(contain).toMatchObject({ width: 128, height: 128, format: "PNG" });
    expect((await fetchImage(contain.url)).metadata.hasAlpha).toBe(true);
  });

  it("lists what was made in Image.thumbnails", async () => {
    const result = await graphql(
      t.graphqlUrl,
      `query($id: ID!) { image(id: $id) { thumbnails { width height format } } }`,
      { id: imageId },
      token,
    );
    expect(result.body.data!["image"].thumbnails).toEqual(expect.arrayContaining([{ width: 320, height: 192, format: "WEBP" }]));
  });

  it.each([
    [{ w: 0 }, "width between 1 and 800 but received 0"],
    [{ w: 801 }, "width between 1 and 800 but received 801"],
    [{ w: 100, h: -5 }, "height between 1 and 800 but received -5"],
  ])("refuses %j with BAD_USER_INPUT", async (size, message) => {
    const result = await thumbnail(size);
    expect(errorCode(result)).toBe("BAD_USER_INPUT");
    expect(result.body.errors![0]!.message).toContain(message);
  });
});
