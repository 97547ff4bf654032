import sharp, { type Sharp } from "sharp";
import { asDecodeError } from "./decodeError.js";

/** What a frontend paints before the thumbnail has loaded. */
export interface Preview {
  /** A data: URL of a WebP at most 16 px on a side (a few hundred bytes): scale it up with a blur. */
  readonly placeholder: string;
  /** The dominant colour as `#rrggbb`. */
  readonly dominantColor: string;
}

const PLACEHOLDER_SIDE = 16;
/**
 * The colour is read from a small copy: the same answer, for a fraction of the
 * work. Staging renders this copy with the thumbnails, from the same decode.
 */
export const PREVIEW_SAMPLE_SIDE = 64;

/**
 * The preview of a normalized image (upright, without metadata), from a file
 * path, its bytes (a small copy will do), or a stream of its bytes.
 */
export async function previewOf(source: string | Buffer | NodeJS.ReadableStream): Promise<Preview> {
  const streamed = typeof source !== "string" && !Buffer.isBuffer(source);
  const input: Sharp = streamed ? sharp() : sharp(source);
  if (streamed) source.pipe(input);
  try {
    const sample = await input.resize(PREVIEW_SAMPLE_SIDE, PREVIEW_SAMPLE_SIDE, { fit: "inside", withoutEnlargement: true }).png().toBuffer();
    const [tiny, stats] = await Promise.all([
      sharp(sample).resize(PLACEHOLDER_SIDE, PLACEHOLDER_SIDE, { fit: "inside" }).webp({ quality: 50, alphaQuality: 50 }).toBuffer(),
      sharp(sample).stats(),
    ]);
    const { r, g, b } = stats.dominant;
    return {
      placeholder: `data:image/webp;base64,${tiny.toString("base64")}`,
      dominantColor: `#${[r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("")}`,
    };
  } catch (error) {
    throw asDecodeError(error);
  }
}
