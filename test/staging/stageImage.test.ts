import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, stageFile } from "../helpers/graphqlClient.js";
import { fetchImage, gif, jpeg, jpegWithOrientationAndGps, solidPng, webp } from "../helpers/images.js";
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
    const big = await sharp({ create: { width: 2000, height: 2000, channels: 3, background: "#000", noise: { type: "gaussian", mean: 128, sigma: 80 } } })
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
