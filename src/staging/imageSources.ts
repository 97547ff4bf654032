import type { ImageRow, ThumbnailRow } from "../db/rows.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { contentTypeOf, formatOfContentType, type StoredFormat } from "../images/imageFormat.js";
import { checkThumbnailSize } from "../images/ThumbnailSpec.js";
import { cropOf } from "./framing.js";
import { ensureThumbnails, type ThumbnailDeps } from "./thumbnails.js";

/** One `<source>` of a `<picture>`: a format and its thumbnails, narrowest first. */
export interface ImageSourceRow {
  readonly format: StoredFormat;
  readonly type: string;
  readonly thumbnails: readonly ThumbnailRow[];
}

const DEFAULT_SOURCE_WIDTHS = [320, 640, 1024];
const MAX_WIDTHS = 8;

/**
 * Responsive sources: for each format (best first), thumbnails of each width
 * with the aspect ratio kept, made on demand (together, from one decode) and kept. A width beyond the
 * original's (or its crop's) is served by that width: never upscaled.
 * @throws UpstageError BAD_USER_INPUT for too many widths, a width out of bounds, or a repeated format.
 */
export async function imageSources(
  deps: ThumbnailDeps,
  image: ImageRow,
  request: { widths?: readonly number[] | null | undefined; formats?: readonly StoredFormat[] | null | undefined },
  who?: { readonly userId: string },
): Promise<ImageSourceRow[]> {
  const widths = request.widths ?? DEFAULT_SOURCE_WIDTHS;
  if (widths.length === 0 || widths.length > MAX_WIDTHS) {
    throw new UpstageError(ErrorCode.BadUserInput, `Expected 1 to ${MAX_WIDTHS} widths but received ${widths.length}.`);
  }
  for (const width of widths) checkThumbnailSize({ width, height: null, fit: "INSIDE", format: "JPEG" }, deps.options.thumbnailMaxSize);
  const formats = request.formats ?? [...new Set<StoredFormat>(["AVIF", "WEBP", formatOfContentType(image.content_type)])];
  if (new Set(formats).size !== formats.length) throw new UpstageError(ErrorCode.BadUserInput, "Each format may be asked for once.");

  const widest = cropOf(image)?.width ?? image.width;
  const effective = [...new Set(widths.map((width) => Math.min(width, widest)))].sort((a, b) => a - b);
  // Every width of every format from one read and one decode of the original.
  const specs = formats.flatMap((format) => effective.map((width) => ({ width, height: null, fit: "INSIDE", format }) as const));
  const thumbnails = await ensureThumbnails(deps, image, specs, who);
  return formats.map((format, i) => ({
    format,
    type: contentTypeOf[format],
    thumbnails: thumbnails.slice(i * effective.length, (i + 1) * effective.length),
  }));
}
