import sharp, { type Metadata } from "sharp";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { ACCEPTED_FORMATS_IN_WORDS } from "./acceptedFormats.js";
import { type StoredFormat, storedFormatFor } from "./imageFormat.js";
import { notAnImage } from "./notAnImage.js";

export interface ProbedImage {
  /** What the image is kept as (imageFormat's table of the accepted inputs). */
  readonly storedFormat: StoredFormat;
}

/**
 * Reads the header only (no pixels are decoded) and decides whether the file is
 * an image upstage takes.
 * @throws UpstageError UNSUPPORTED_MEDIA_TYPE when it is not a readable image of an accepted format,
 *   IMAGE_TOO_LARGE when it declares more than `maxPixels`.
 */
export async function probeImage(file: string, options: { maxPixels: number }): Promise<ProbedImage> {
  let metadata: Metadata;
  try {
    metadata = await sharp(file, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw notAnImage({ cause: error });
  }
  const storedFormat = storedFormatFor(metadata.format);
  if (!storedFormat) {
    throw new UpstageError(
      ErrorCode.UnsupportedMediaType,
      `Images in ${metadata.format ?? "this"} format are not accepted; send ${ACCEPTED_FORMATS_IN_WORDS}.`,
    );
  }
  const { width, height } = metadata.autoOrient ?? metadata;
  if (!width || !height) {
    throw new UpstageError(ErrorCode.UnsupportedMediaType, "The image declares no dimensions.");
  }
  if (width * height > options.maxPixels) {
    throw new UpstageError(
      ErrorCode.ImageTooLarge,
      `The image is ${width}×${height} pixels; at most ${options.maxPixels} pixels are accepted.`,
    );
  }
  return { storedFormat };
}
