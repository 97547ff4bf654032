import sharp, { type Metadata } from "sharp";
import { refusals } from "../errors/refusals.js";
import { ACCEPTED_FORMATS_IN_WORDS } from "./acceptedFormats.js";
import { type StoredFormat, storedFormatFor } from "./imageFormat.js";

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
    throw refusals.notAnImage(ACCEPTED_FORMATS_IN_WORDS, error);
  }
  const storedFormat = storedFormatFor(metadata.format);
  if (!storedFormat) {
    throw refusals.formatNotAccepted(metadata.format, ACCEPTED_FORMATS_IN_WORDS);
  }
  const { width, height } = metadata.autoOrient ?? metadata;
  if (!width || !height) {
    throw refusals.noDimensions();
  }
  if (width * height > options.maxPixels) {
    throw refusals.tooManyPixels(width, height, options.maxPixels);
  }
  return { storedFormat };
}
