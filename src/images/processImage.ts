import fs from "node:fs/promises";
import sharp from "sharp";
import type { JpegEncoder } from "../config.js";
import { asDecodeError } from "./decodeError.js";
import { encode } from "./encode.js";
import type { StoredFormat } from "./imageFormat.js";
import { pixelsInFile, type RenderedThumbnail, renderFromPixels } from "./renderThumbnails.js";
import { type ImageSample, sampleImage } from "./sampleImage.js";
import type { ThumbnailSpec } from "./ThumbnailSpec.js";

export interface ProcessOptions {
  readonly format: StoredFormat;
  /** Longest side of the stored original in pixels; larger images are scaled down, smaller ones are kept. */
  readonly maxDimension: number;
  readonly maxPixels: number;
  readonly jpegEncoder: JpegEncoder;
  /** Thumbnails to render with the original (the presets); COVER ones are cut around the sample's focal point. */
  readonly thumbnails: readonly ThumbnailSpec[];
}

export interface ProcessedImage {
  readonly original: { readonly width: number; readonly height: number; readonly byteSize: number };
  readonly thumbnails: RenderedThumbnail[];
  readonly sample: ImageSample;
}

/**
 * Everything staging makes of an upload, from one decode. `input` is decoded
 * once, in full (a damaged file fails here), turned upright by its EXIF
 * orientation, converted to sRGB, stripped of all metadata and scaled to fit
 * `maxDimension`, into raw pixels (2048 × 1536 × 3 = 9 MiB) written beside
 * `output` in libvips' own format, which each later pipeline maps instead of
 * decoding: the pixels never enter the JS heap, where each upload's 9 MiB
 * Buffer cost a major garbage collection (bench B4c). From those pixels, on
 * libvips' threads and at the same time: the stored original (written to
 * `output`), and a small copy sampled (placeholder, colour, ThumbHash, focal
 * point: sampleImage.ts) and then each thumbnail cut around that point.
 * Re-encoding also drops whatever trailed the image data (polyglots).
 *
 * Shrink-on-load: libvips decodes a JPEG (or WebP) at 1/2, 1/4 or 1/8 scale
 * whenever that scale is still at least `maxDimension`, so a 48 MP photo is
 * never decoded at full size. When the scale that would fit lies between
 * `maxDimension`/2 and `maxDimension` (a 4000 px photo, 2048 allowed), the
 * full decode is downsampled to exactly `maxDimension`: a smaller stored
 * original (2000 px) would save only 4 % of the work, measured on the bench's
 * 12 MP photo, since the entropy decoding that dominates is done either way.
 * @throws UpstageError UNSUPPORTED_MEDIA_TYPE when the pixels cannot be decoded.
 */
export async function processImage(input: string, output: string, options: ProcessOptions): Promise<ProcessedImage> {
  const pixelsFile = `${output}.pixels.v`;
  try {
    const info = await sharp(input, { limitInputPixels: options.maxPixels, failOn: "warning" })
      .autoOrient()
      .resize({ width: options.maxDimension, height: options.maxDimension, fit: "inside", withoutEnlargement: true })
      .toFile(pixelsFile);
    const pixels = pixelsInFile(pixelsFile, info);
    // The original needs nothing of the sample: its encode (single-threaded
    // in libjpeg-turbo, the longest step after the decode) starts at once,
    // beside the sample and the thumbnails cut around its focal point.
    // Both settle before either failure is thrown: the caller removes `output` then, and no write may follow.
    const [written, made] = await Promise.allSettled([
      encode(pixels.open(), options.format, options.jpegEncoder).toFile(output),
      (async () => {
        const sample = await sampleImage(pixels.open());
        const specs = options.thumbnails.map((spec) => ({ ...spec, focus: sample.focus }));
        return { sample, thumbnails: await renderFromPixels(pixels, specs, options.jpegEncoder) };
      })(),
    ]);
    if (written.status === "rejected") throw written.reason;
    if (made.status === "rejected") throw made.reason;
    const stored = written.value;
    return { original: { width: stored.width, height: stored.height, byteSize: stored.size }, ...made.value };
  } catch (error) {
    throw asDecodeError(error);
  } finally {
    await fs.rm(pixelsFile, { force: true });
  }
}
