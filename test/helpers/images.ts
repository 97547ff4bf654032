import zlib from "node:zlib";
import sharp, { type Metadata, type Sharp } from "sharp";

/** A photo-like test image: gradient plus noise, so it compresses like a real one. */
export function photo(width: number, height: number): Sharp {
  return sharp({ create: { width, height, channels: 3, background: "#000", noise: { type: "gaussian", mean: 128, sigma: 40 } } });
}

/** A JPEG whose EXIF says "rotate 90° clockwise to view" (orientation 6), with GPS coordinates. */
export async function jpegWithOrientationAndGps(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: "#3366cc" } })
    .composite([{ input: { create: { width: Math.floor(width / 4), height, channels: 3, background: "#ff0000" } }, left: 0, top: 0 }])
    .jpeg()
    .withMetadata({ orientation: 6 })
    .withExif({
      IFD0: { Make: "TestCam", Model: "T1" },
      // IFD3 is the GPS directory; the map datum is a text tag a test can find in the bytes.
      IFD3: {
        GPSLatitudeRef: "N",
        GPSLatitude: "52/1 31/1 0/1",
        GPSLongitudeRef: "E",
        GPSLongitude: "13/1 24/1 0/1",
        GPSMapDatum: "WGS-84",
      },
    })
    .toBuffer();
}

export function solidPng(width: number, height: number, alpha = 0.5): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 0, g: 128, b: 0, alpha } } })
    .png()
    .toBuffer();
}

export function jpeg(width: number, height: number): Promise<Buffer> {
  return photo(width, height).jpeg({ quality: 90 }).toBuffer();
}

export function webp(width: number, height: number): Promise<Buffer> {
  return photo(width, height).webp().toBuffer();
}

export function gif(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: "#ffaa00" } })
    .gif()
    .toBuffer();
}

/** Fetches a URL and decodes it with sharp. */
export async function fetchImage(url: string): Promise<{ response: Response; bytes: Buffer; metadata: Metadata }> {
  const response = await fetch(url);
  const bytes = Buffer.from(await response.arrayBuffer());
  return { response, bytes, metadata: await sharp(bytes).metadata() };
}

/** An animated GIF of `frames` 1×1 frames, built byte by byte (about 25 bytes a frame). */
export function animatedGif(frames: number): Buffer {
  const header = Buffer.from([
    ...Buffer.from("GIF89a"),
    1,
    0,
    1,
    0, // 1×1 logical screen
    0x80,
    0,
    0, // global colour table of 2 entries
    0,
    0,
    0,
    255,
    255,
    255,
    // NETSCAPE2.0 loop forever
    0x21,
    0xff,
    0x0b,
    ...Buffer.from("NETSCAPE2.0"),
    0x03,
    0x01,
    0x00,
    0x00,
    0x00,
  ]);
  const frame = Buffer.from([
    0x21,
    0xf9,
    0x04,
    0x00,
    0x0a,
    0x00,
    0x00,
    0x00, // graphic control: 100 ms
    0x2c,
    0,
    0,
    0,
    0,
    1,
    0,
    1,
    0,
    0x00, // image descriptor 1×1
    0x02,
    0x02,
    0x44,
    0x01,
    0x00, // LZW: clear, pixel 0, end
  ]);
  return Buffer.concat([header, ...Array.from({ length: frames }, () => frame), Buffer.from([0x3b])]);
}

/** A PNG header that declares `width`×`height` pixels, with almost no data behind it. */
export function pngDeclaring(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(Buffer.alloc(1024))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A real small JPEG whose frame header is rewritten to declare `width`×`height`. */
export async function jpegDeclaring(width: number, height: number): Promise<Buffer> {
  const bytes = Buffer.from(
    await sharp({ create: { width: 16, height: 16, channels: 3, background: "#888" } })
      .jpeg({ mozjpeg: false })
      .toBuffer(),
  );
  const sof = bytes.indexOf(Buffer.from([0xff, 0xc0]));
  bytes.writeUInt16BE(height, sof + 5);
  bytes.writeUInt16BE(width, sof + 7);
  return bytes;
}

/** A colourful, photo-sized JPEG (a sunset over hills, with film grain): something to look at in a screenshot. */
export function scenery(width: number, height: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 160 120">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#2b2d6e"/><stop offset=".55" stop-color="#e8735a"/><stop offset="1" stop-color="#f6c177"/></linearGradient></defs>
    <rect width="160" height="120" fill="url(#sky)"/>
    <circle cx="104" cy="70" r="16" fill="#ffe9a8"/>
    <path d="M0 88 Q40 62 80 86 T160 80 V120 H0Z" fill="#3d5a4a"/>
    <path d="M0 100 Q50 84 100 102 T160 98 V120 H0Z" fill="#1f3b2f"/>
  </svg>`;
  return photo(width, height)
    .composite([{ input: Buffer.from(svg), blend: "soft-light" }, { input: Buffer.from(svg.replace("<svg ", '<svg opacity="0.88" ')) }])
    .jpeg({ quality: 92 })
    .toBuffer();
}

/**
 * The quantisation tables (DQT segments) of a JPEG: they depend only on the
 * encoder's quality and table settings, not on the pixels, so they tell which
 * settings wrote a file.
 */
export function quantisationTablesOf(jpegBytes: Buffer): Buffer {
  const tables: Buffer[] = [];
  let at = 2;
  while (at + 4 <= jpegBytes.length && jpegBytes[at] === 0xff) {
    const marker = jpegBytes[at + 1]!;
    const length = jpegBytes.readUInt16BE(at + 2);
    if (marker === 0xdb) tables.push(jpegBytes.subarray(at + 4, at + 2 + length));
    if (marker === 0xda) break;
    at += 2 + length;
  }
  return Buffer.concat(tables);
}
