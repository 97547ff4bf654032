// What a frontend paints first (placeholder, dominant colour) and the <picture> sources it picks from.
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphql, stageFile } from "../helpers/graphqlClient.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

const PREVIEW = /* GraphQL */ `
  query ($id: ID!) { image(id: $id) { placeholder dominantColor } }
`;

const SOURCES = /* GraphQL */ `
  query ($id: ID!, $widths: [Int!], $formats: [ImageFormat!]) {
    image(id: $id) { sources(widths: $widths, formats: $formats) { format type srcset thumbnails { url width height format } } }
  }
`;

describe("Image.placeholder, dominantColor and sources", () => {
  let t: TestServer;
  let token: string;
  let imageId: string;
  beforeAll(async () => {
    t = await startTestServer({ THUMBNAIL_MAX_SIZE: "512" });
    token = await t.token("painter");
    // Mostly orange, with a blue stripe: the dominant colour is orange.
    const picture = await sharp({ create: { width: 400, height: 200, channels: 3, background: "#ff8800" } })
      .composite([{ input: { create: { width: 60, height: 200, channels: 3, background: "#0000ff" } }, left: 0, top: 0 }])
      .png()
      .toBuffer();
    const staged = await stageFile(t.graphqlUrl, picture, { token, filename: "sunset.png" });
    imageId = staged.body.data!.stageImage.image.id;
  });
  afterAll(() => t.stop());

  it("paints a tiny WebP data: URL and the dominant colour, computed at stage time", async () => {
    const { image } = (await graphql(t.graphqlUrl, PREVIEW, { id: imageId }, token)).body.data!;
    expect(image.placeholder).toMatch(/^data:image\/webp;base64,/);
    const bytes = Buffer.from(image.placeholder.split(",")[1], "base64");
    expect(bytes.length).toBeLessThan(1000);
    const meta = await sharp(bytes).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(16);
    expect(image.dominantColor).toMatch(/^#[0-9a-f]{6}$/);
    const [r, , b] = [1, 3, 5].map((i) => parseInt(image.dominantColor.slice(i, i + 2), 16));
    expect(r).toBeGreaterThan(200);
    expect(b).toBeLessThan(80);
    const row = await t.server.database.knex("images").where({ id: imageId }).first();
    expect(row.dominant_color).toBe(image.dominantColor);
  });

  it("makes an image staged before previews existed its preview on first read", async () => {
    await t.server.database.knex("images").where({ id: imageId }).update({ placeholder: null, dominant_color: null });
    const { image } = (await graphql(t.graphqlUrl, PREVIEW, { id: imageId }, token)).body.data!;
    expect(image.placeholder).toMatch(/^data:image\/webp;base64,/);
    expect((await t.server.database.knex("images").where({ id: imageId }).first()).dominant_color).toBe(image.dominantColor);
  });

  it("gives <picture> sources per format, with srcsets of the asked widths snapped to the ladder, never wider than the original", async () => {
    const result = await graphql(t.graphqlUrl, SOURCES, { id: imageId, widths: [100, 300, 500], formats: ["WEBP", "PNG"] }, token);
    expect(result.body.errors).toBeUndefined();
    const [webp, png] = result.body.data!.image.sources;
    expect(webp).toMatchObject({ format: "WEBP", type: "image/webp" });
    expect(png).toMatchObject({ format: "PNG", type: "image/png" });
    // 100 and 300 snap up to the 128 and 320 steps; 500 is wider than the 400 px original: its own width.
    expect(webp.thumbnails.map((th: { width: number }) => th.width)).toEqual([128, 320, 400]);
    expect(webp.thumbnails.map((th: { height: number }) => th.height)).toEqual([64, 160, 200]);
    expect(webp.srcset).toBe(webp.thumbnails.map((th: { url: string; width: number }) => `${th.url} ${th.width}w`).join(", "));
    const fetched = await fetch(webp.thumbnails[0].url);
    expect(fetched.headers.get("content-type")).toBe("image/webp");

    // Asked again: the same files, already made.
    const again = await graphql(t.graphqlUrl, SOURCES, { id: imageId, widths: [100, 300, 500], formats: ["WEBP", "PNG"] }, token);
    expect(again.body.data!.image.sources).toEqual(result.body.data!.image.sources);
  });

  it("defaults to AVIF, WebP and the original's format", async () => {
    const result = await graphql(t.graphqlUrl, SOURCES, { id: imageId, widths: [64] }, token);
    expect(result.body.data!.image.sources.map((s: { format: string }) => s.format)).toEqual(["AVIF", "WEBP", "PNG"]);
  });

  it("refuses widths out of bounds, too many widths, and a repeated format", async () => {
    for (const variables of [
      { widths: [513] },
      { widths: [1, 2, 3, 4, 5, 6, 7, 8, 9] },
      { widths: [] },
      { widths: [64], formats: ["WEBP", "WEBP"] },
    ]) {
      const result = await graphql(t.graphqlUrl, SOURCES, { id: imageId, ...variables }, token);
      expect(result.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    }
  });
});
