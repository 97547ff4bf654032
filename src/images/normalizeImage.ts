import sharp from "sharp";
import { encode } from "./encode.js";
import { asDecodeError } from "./decodeError.js";
import type { StoredFormat } from "./imageFormat.js";

export interface NormalizeOptions {
  readonly format: StoredFormat;
  /** Longest side of the output in pixels; larger images are scaled down, smaller ones are kept. */
  readonly maxDimension: number;
  readonly maxPixels: number;
}

export interface NormalizedImage {
  readonly width: number;
  readonly height: number;
  readonly byteSize: number;
}

/**
 * Decodes `input` fully (a damaged file fails here), turns it upright by its
 * EXIF orientation, drops all metadata (EXIF, GPS, XMP, ICC beyond sRGB),
 * scales it to fit `maxDimension`, and writes it re-encoded to `output`.
 * Re-encoding also drops whatever trailed the image data (polyglots).
 * @throws UpstageError UNSUPPORTED_MEDIA_TYPE when the pixels cannot be decoded.
 */
export async function normalizeImage(input: string, output: string, options: NormalizeOptions): Promise<NormalizedImage> {
  try {
    const pipeline = sharp(input, { limitInputPixels: options.maxPixels, failOn: "warning" })
      .autoOrient()
      .resize({ width: options.maxDimension, height: options.maxDimension, fit: "inside", withoutEnlargement: true });
    const info = await encode(pipeline, options.format).toFile(output);
    return { width: info.width, height: info.height, byteSize: info.size };
  } catch (error) {
    throw asDecodeError(error);
  }
}
