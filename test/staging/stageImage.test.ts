import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, stageFile } from "../helpers/graphqlClient.js";
import { fetchImage, gif, jpeg, jpegWithOrientationAndGps, photo, quantisationTablesOf, solidPng, webp } from "../helpers/images.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

let t: TestServer;
let token: string;

beforeAll(async () => {
  t = await startTestServer({ MAX_FILE_SIZE: String(2 * 1024 * 1024), MAX_DIMENSION: "1024" });
  token = await t.token("stager");
});
afterAll(() => t.stop());

describe("stageImage", () => {
  it("turns a JPEG upright by its EXIF orientation and strips EXIF and GPS", async () => {
    const input = await jpegWithOrientationAndGps(300, 200);
    expect((await sharp(input).metadata()).exif?.includes("WGS-84")).toBe(true);

    const result = await stageFile(t.graphqlUrl, input, { token });
    expect(result.body.errors).toBeUndefined();
    const staged = result.body.data!["stageImage"];
    expect(staged.image).toMatchObject({ width: 200, height: 300, contentType: "image/jpeg" });
    expect(new Date(staged.expiresAt).getTime()).toBeGreaterThan(Date.now() + 800_000);

    const { response, bytes, metadata } = await fetchImage(staged.image.url);
    expect(response.headers.get("content-type")).toBe("image/jpeg");
    expect(bytes.length).toBe(staged.image.byteSize);
    expect([metadata.width, metadata.height]).toEqual([200, 300]);
    expect(metadata.exif).toBeUndefined();
    expect(metadata.orientation).toBeUndefined();
    expect(bytes.includes(Buffer.from("TestCam"))).toBe(false);
    expect(bytes.includes(Buffer.from("WGS-84"))).toBe(false);
    // The red band was on the left before rotating by 90° clockwise: it is now along the top.
    const { data } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    const topMiddle = (5 * 200 + 100) * 3;
    expect(data[topMiddle]).toBeGreaterThan(200);
    expect(data[topMiddle + 2]).toBeLessThan(60);
  });

  it("makes the preset thumbnails, cover-cropped to their exact size, with absolute URLs", async () => {
    const result = await stageFile(t.graphqlUrl, await jpeg(640, 480), { token });
    const image = result.body.data!["stageImage"].image;
    expect(image.thumbnails.map((th: any) => [th.width, th.height, th.format])).toEqual([
      [125, 125, "JPEG"],
      [200, 200, "JPEG"],
    ]);
    for (const thumbnail of image.thumbnails) {
      expect(thumbnail.url.startsWith(`${t.url}/media/images/`)).toBe(true);
      const { metadata } = await fetchImage(thumbnail.url);
      expect([metadata.format, metadata.width, metadata.height]).toEqual(["jpeg", thumbnail.width, thumbnail.height]);
    }
    expect(image.srcset).toBe(`${image.thumbnails[0].url} 125w, ${image.thumbnails[1].url} 200w`);
  });

  it("keeps a PNG's transparency", async () => {
    const result = await stageFile(t.graphqlUrl, await solidPng(64, 48), { token, filename: "dot.png", contentType: "image/png" });
    const image = result.body.data!["stageImage"].image;
    expect(image).toMatchObject({ width: 64, height: 48, contentType: "image/png" });
    const { bytes, metadata } = await fetchImage(image.thumbnails[0].url);
    expect(metadata.format).toBe("png");
    expect(metadata.hasAlpha).toBe(true);
    const { data } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    expect(data[3]).toBeGreaterThan(100);
    expect(data[3]).toBeLessThan(150);
  });

  it("takes WebP as WebP and GIF as PNG", async () => {
    const fromWebp = await stageFile(t.graphqlUrl, await webp(90, 60), { token, filename: "a.webp" });
    expect(fromWebp.body.data!["stageImage"].image.contentType).toBe("image/webp");
    expect((await fetchImage(fromWebp.body.data!["stageImage"].image.url)).metadata.format).toBe("webp");

    const fromGif = await stageFile(t.graphqlUrl, await gif(40, 30), { token, filename: "a.gif" });
    expect(fromGif.body.data!["stageImage"].image).toMatchObject({ contentType: "image/png", width: 40, height: 30 });
  });

  it("scales an original larger than MAX_DIMENSION down, keeping its aspect ratio", async () => {
    const result = await stageFile(t.graphqlUrl, await jpeg(2000, 1000), { token });
    expect(result.body.data!["stageImage"].image).toMatchObject({ width: 1024, height: 512 });
  });

  // One decode into raw pixels feeds every output: each layout a camera or an
  // editor writes must come out upright, in sRGB, 8 bits, with its presets.
  it.each([
    ["a greyscale JPEG", () => photo(300, 200).greyscale().jpeg().toBuffer(), "image/jpeg", [300, 200]],
    [
      "a CMYK JPEG",
      () =>
        sharp({ create: { width: 300, height: 200, channels: 3, background: "#ff0000" } })
          .toColourspace("cmyk")
          .jpeg()
          .toBuffer(),
      "image/jpeg",
      [300, 200],
    ],
    [
      "a Display P3 JPEG",
      () =>
        sharp({ create: { width: 300, height: 200, channels: 3, background: "#ff0000" } })
          .withIccProfile("p3")
          .jpeg()
          .toBuffer(),
      "image/jpeg",
      [300, 200],
    ],
    [
      "a 16-bit PNG with alpha",
      () =>
        sharp({ create: { width: 300, height: 200, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } } })
          .toColourspace("rgb16")
          .png()
          .toBuffer(),
      "image/png",
      [300, 200],
    ],
    [
      "a grey PNG with alpha",
      () =>
        sharp({ create: { width: 300, height: 200, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } } })
          .toColourspace("b-w")
          .png()
          .toBuffer(),
      "image/png",
      [300, 200],
    ],
    [
      "a JPEG larger than MAX_DIMENSION on both sides, rotated",
      () =>
        sharp({ create: { width: 3000, height: 2000, channels: 3, background: "#ff0000" } })
          .jpeg()
          .withMetadata({ orientation: 8 })
          .toBuffer(),
      "image/jpeg",
      [683, 1024],
    ],
  ] as const)("stages %s in sRGB, 8 bits, with its presets", async (_, make, contentType, [width, height]) => {
    const result = await stageFile(t.graphqlUrl, await make(), { token, filename: contentType === "image/png" ? "a.png" : "a.jpg" });
    expect(result.body.errors).toBeUndefined();
    const image = result.body.data!["stageImage"].image;
    expect(image).toMatchObject({ width, height, contentType });
    const { bytes, metadata } = await fetchImage(image.url);
    expect([metadata.width, metadata.height, metadata.depth, metadata.icc]).toEqual([width, height, "uchar", undefined]);
    expect(metadata.space).toMatch(/^(srgb|b-w)$/);
    const { data, info } = await sharp(bytes).toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
    const centre = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
    if (!/grey/.test(_)) {
      // Red, as the input meant it (a P3 or CMYK red is still red in sRGB).
      expect(data[centre]).toBeGreaterThan(150);
      expect(data[centre + 1]).toBeLessThan(90);
    }
    for (const thumbnail of image.thumbnails) {
      const { metadata: thumb } = await fetchImage(thumbnail.url);
      expect([thumb.width, thumb.height]).toEqual([thumbnail.width, thumbnail.height]);
    }
  });

  it("writes JPEGs with libjpeg-turbo's settings by default, and mozjpeg's with JPEG_ENCODER=mozjpeg", async () => {
    const mozjpeg = await startTestServer({ JPEG_ENCODER: "mozjpeg" });
    try {
      const input = await jpeg(640, 480);
      const tablesOf = async (server: TestServer) => {
        const result = await stageFile(server.graphqlUrl, input, { token: await server.token("encoder") });
        const image = result.body.data!["stageImage"].image;
        return Promise.all(
          [image.url, image.thumbnails[0].url].map(async (url: string) => quantisationTablesOf((await fetchImage(url)).bytes)),
        );
      };
      // The tables depend only on the settings, so a blank image encoded with them has the same.
      const blank = sharp({ create: { width: 8, height: 8, channels: 3, background: "#888" } });
      const turboTables = quantisationTablesOf(
        await blank.clone().jpeg({ quality: 78, optimiseCoding: true, quantisationTable: 3 }).toBuffer(),
      );
      const mozjpegTables = quantisationTablesOf(await blank.clone().jpeg({ quality: 82, mozjpeg: true }).toBuffer());
      expect(turboTables.equals(mozjpegTables)).toBe(false);
      for (const tables of await tablesOf(t)) expect(tables.equals(turboTables)).toBe(true);
      for (const tables of await tablesOf(mozjpeg)) expect(tables.equals(mozjpegTables)).toBe(true);
    } finally {
      await mozjpeg.stop();
    }
  });

  it("keeps the client's filename out of the storage key", async () => {
    const result = await stageFile(t.graphqlUrl, await jpeg(50, 50), { token, filename: "../../etc/passwd.jpg" });
    const url: string = result.body.data!["stageImage"].image.url;
    expect(url).toMatch(/\/media\/images\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.jpg$/);
    expect(url).not.toContain("passwd");
  });
});

describe("stageImage refuses", () => {
  async function expectRefused(bytes: Uint8Array, code: string, filename = "photo.jpg") {
    const before = await t.files();
    const result = await stageFile(t.graphqlUrl, bytes, { token, filename });
    expect(errorCode(result)).toBe(code);
    expect(result.body.data?.["stageImage"] ?? null).toBeNull();
    expect(await t.files()).toEqual(before);
    return result;
  }

  it("a text file named .jpg with an image Content-Type: UNSUPPORTED_MEDIA_TYPE", async () => {
    await expectRefused(Buffer.from("hello, I am not a picture\n".repeat(20)), "UNSUPPORTED_MEDIA_TYPE");
  });

  it("a truncated JPEG: UNSUPPORTED_MEDIA_TYPE", async () => {
    const whole = await jpeg(400, 300);
    await expectRefused(whole.subarray(0, Math.floor(whole.length / 2)), "UNSUPPORTED_MEDIA_TYPE");
  });

  it("an SVG: UNSUPPORTED_MEDIA_TYPE", async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>';
    await expectRefused(Buffer.from(svg), "UNSUPPORTED_MEDIA_TYPE", "x.svg");
  });

  it("an empty file: BAD_USER_INPUT", async () => {
    await expectRefused(new Uint8Array(0), "BAD_USER_INPUT");
  });

  it("a file over MAX_FILE_SIZE: FILE_TOO_LARGE", async () => {
    const big = await sharp({
      create: { width: 2000, height: 2000, channels: 3, background: "#000", noise: { type: "gaussian", mean: 128, sigma: 80 } },
    })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(big.length).toBeGreaterThan(2 * 1024 * 1024);
    await expectRefused(big, "FILE_TOO_LARGE", "big.png");
  });

  it("an image declaring more pixels than MAX_PIXELS: IMAGE_TOO_LARGE", async () => {
    const small = await startTestServer({ MAX_PIXELS: "10000" });
    try {
      const result = await stageFile(small.graphqlUrl, await jpeg(200, 100), { token: await small.token("p") });
      expect(errorCode(result)).toBe("IMAGE_TOO_LARGE");
    } finally {
      await small.stop();
    }
  });

  it("an upload without a token: UNAUTHENTICATED, before the body is read", async () => {
    const result = await stageFile(t.graphqlUrl, await jpeg(20, 20), {});
    expect(result.status).toBe(401);
    expect(errorCode(result)).toBe("UNAUTHENTICATED");
  });

  it("a multipart request without the preflight header (CSRF)", async () => {
    const result = await stageFile(t.graphqlUrl, await jpeg(20, 20), { token, noPreflight: true });
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0]?.message).toMatch(/cross-site request forgery/);
  });
});
