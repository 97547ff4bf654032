import sharp, { type OutputInfo, type Sharp } from "sharp";
import { ssim } from "ssim.js";
import type { JpegEncoder } from "../../src/config.js";
import { encode } from "../../src/images/encode.js";

export interface QualityRow {
  readonly image: string;
  readonly encoder: JpegEncoder;
  readonly output: string;
  readonly bytes: number;
  readonly ssim: number;
  readonly encodeMs: number;
}

type Pixels = { data: Buffer; info: OutputInfo };

async function pixelsOf(image: Sharp): Promise<Pixels> {
  return image.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
}

/** The mean SSIM of `jpeg` against `reference` (RGBA pixels of the same size), with ssim.js' default (Wang's) settings. */
async function ssimOf(reference: Pixels, jpeg: Buffer): Promise<number> {
  const decoded = await pixelsOf(sharp(jpeg));
  const asImage = ({ data, info }: Pixels) => ({
    data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
  });
  return ssim(asImage(reference), asImage(decoded)).mssim;
}

/**
 * Q: what each JPEG_ENCODER costs in bytes and quality. For each photo, the
 * source is scaled the way staging scales it (the 2048 original, and a 200²
 * cover thumbnail from that), then encoded by upstage's own `encode` with
 * each encoder; SSIM compares the encoded file with those scaled pixels.
 */
export async function qualityRows(photos: readonly { name: string; bytes: Buffer }[], maxDimension: number): Promise<QualityRow[]> {
  const rows: QualityRow[] = [];
  for (const photo of photos) {
    const original = await pixelsOf(
      sharp(photo.bytes).autoOrient().resize({ width: maxDimension, height: maxDimension, fit: "inside", withoutEnlargement: true }),
    );
    const raw = (p: Pixels) => sharp(p.data, { raw: { width: p.info.width, height: p.info.height, channels: p.info.channels } });
    const thumbnail = await pixelsOf(raw(original).resize({ width: 200, height: 200, fit: "cover" }));
    for (const [output, pixels] of [
      [`original ${original.info.width}×${original.info.height}`, original],
      ["200² thumbnail", thumbnail],
    ] as const) {
      for (const encoder of ["libjpeg-turbo", "mozjpeg"] as const) {
        const times: number[] = [];
        let jpeg = Buffer.alloc(0);
        for (let i = 0; i < 5; i++) {
          const started = performance.now();
          jpeg = await encode(raw(pixels), "JPEG", encoder).toBuffer();
          times.push(performance.now() - started);
        }
        times.sort((a, b) => a - b);
        rows.push({ image: photo.name, encoder, output, bytes: jpeg.length, ssim: await ssimOf(pixels, jpeg), encodeMs: times[2]! });
      }
    }
  }
  return rows;
}

/** The quality table: each encoder's bytes and SSIM, and the default's difference from mozjpeg's. */
export function qualityMarkdown(rows: readonly QualityRow[]): string {
  const lines = [
    "| photo | output | encoder | bytes | SSIM | encode | bytes vs mozjpeg | SSIM vs mozjpeg |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of rows) {
    const moz = rows.find((r) => r.image === row.image && r.output === row.output && r.encoder === "mozjpeg")!;
    const vs = row === moz ? ["—", "—"] : [`${((row.bytes / moz.bytes - 1) * 100).toFixed(1)} %`, (row.ssim - moz.ssim).toFixed(4)];
    lines.push(
      `| ${row.image} | ${row.output} | ${row.encoder} | ${row.bytes} | ${row.ssim.toFixed(4)} | ${row.encodeMs.toFixed(1)} ms | ${vs[0]} | ${vs[1]} |`,
    );
  }
  return lines.join("\n");
}
