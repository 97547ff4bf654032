// An image's thumbnails as the rendition policy answers them: made on first
// request and kept (the least recently used go past the cap), the sample an
// older image lacks filled in, the presets made again for every image (the
// CLI), a <picture>'s sources, and which /media/ keys may be served (an
// evicted rendition is made again on its first miss).

import {
  deleteThumbnails,
  findLiveImagesByKeyStem,
  findServableContentType,
  findThumbnails,
  insertThumbnails,
  listEvictableThumbnails,
  liveImagesAfter,
  touchThumbnails,
  updateFraming,
  updateSample,
} from "../db/imageQueries.js";
import type { ImageRow, ThumbnailRow } from "../db/rows.js";
import { refusals } from "../errors/refusals.js";
import { contentTypeOf, formatOfContentType, type StoredFormat } from "../images/imageFormat.js";
import { renderThumbnails } from "../images/renderThumbnails.js";
import { sampleImage } from "../images/sampleImage.js";
import { checkThumbnailSize, sizeOfVariant, type ThumbnailSpec, variantOf } from "../images/ThumbnailSpec.js";
import { splitThumbnailKey, thumbnailKey } from "../storage/storageKey.js";
import { intendFiles, removeUnnamedFiles, settleFiles } from "./fileIntents.js";
import { cropOf, focusOf, regionOf } from "./framing.js";
import { presetSpecs, snapRendition } from "./renditionPolicy.js";
import type { StagingDeps } from "./StagingDeps.js";
import { storeThumbnails } from "./storeThumbnails.js";

export type ThumbnailDeps = Pick<StagingDeps, "knex" | "storage" | "options" | "metrics" | "instance" | "images" | "renderBudget" | "now">;

/** How long a rendition's last use may be stale before a lookup records it again. */
const TOUCH_EVERY_MS = 60 * 60 * 1000;

/**
 * The thumbnails of `stored` for each of `asked`, in order (from its crop, when
 * it has one; COVER boxes cut around its focal point), as the rendition policy answers them (renditionPolicy.ts:
 * presets as they are, other sizes snapped to RENDITION_WIDTHS and never
 * larger than the source): a lookup for those made before; the rest are
 * rendered together from one read and one decode of the stored original,
 * stored beside it and recorded, so the next request is a lookup. New ones
 * asked by `who` count against that user's RENDITIONS_PER_MINUTE, and past
 * MAX_RENDITIONS_PER_IMAGE the least recently used on-demand ones go.
 * With `onlyKey`, nothing is looked up or made unless the one size asked is
 * answered under that storage key (the media route's render on a miss).
 * @throws UpstageError BAD_USER_INPUT when a size is outside the bounds; RATE_LIMITED past the render budget.
 */
export async function ensureThumbnails(
  deps: ThumbnailDeps,
  stored: ImageRow,
  asked: readonly ThumbnailSpec[],
  who?: { readonly userId: string },
  options: { readonly onlyKey?: string } = {},
): Promise<ThumbnailRow[]> {
  for (const spec of asked) checkThumbnailSize(spec, deps.options.thumbnailMaxSize);
  // A COVER box is cut around the focal point: an image staged before it existed is sampled first.
  const image = asked.some((spec) => spec.fit === "COVER") ? await completeImage(deps, stored) : stored;
  // Every size of a cropped avatar is made from its crop.
  const framing = { crop: cropOf(image), focus: focusOf(image) };
  const source = framing.crop ?? { width: image.width, height: image.height };
  const answered = asked.map((spec) => ({ ...snapRendition(spec, source, deps.options), ...framing }));
  const specs = new Map(answered.map((spec) => [variantOf(spec), spec]));
  if (options.onlyKey !== undefined && ![...specs.keys()].every((variant) => thumbnailKey(image.storage_key, variant) === options.onlyKey))
    return [];
  const presets = new Set(
    presetSpecs(deps.options.presets, formatOfContentType(image.content_type)).map((spec) => variantOf({ ...spec, ...framing })),
  );
  const rowsOf = async () => new Map((await findThumbnails(deps.knex, image.id, [...specs.keys()])).map((row) => [row.variant, row]));
  let found = await rowsOf();
  const missing = [...specs].filter(([variant]) => !found.has(variant)).map(([, spec]) => spec);
  // A use is recorded at most once an hour, and only for on-demand renditions:
  // the rows just read say which are stale, so a fresh lookup writes nothing.
  const now = deps.now();
  const staleBefore = new Date(now.getTime() - TOUCH_EVERY_MS);
  const stale = [...found.values()]
    .filter((row) => !presets.has(row.variant) && new Date(row.used_at) < staleBefore)
    .map((row) => row.variant);
  await touchThumbnails(deps.knex, image.id, stale, now, staleBefore);
  if (missing.length > 0) {
    if (who) deps.renderBudget.take(who.userId, missing.length);
    const making = deps.metrics.thumbnailSeconds.startTimer({ kind: "on_demand" });
    const rendered = await deps.images.run(() => renderThumbnails(deps.storage.read(image.storage_key), missing, deps.options.jpegEncoder));
    const keys = rendered.map(({ spec }) => thumbnailKey(image.storage_key, variantOf(spec)));
    // Intent before bytes; a failure leaves the intents for the clean-up, which
    // deletes only files no row names (the keys are shared with racing requests).
    await intendFiles(deps, keys);
    const rows = await storeThumbnails(deps.storage, image, rendered);
    making();
    await deps.knex.transaction(async (trx) => {
      await insertThumbnails(trx, rows);
      await settleFiles(trx, keys);
    });
    deps.metrics.renditionBytes.inc(rows.reduce((sum, row) => sum + row.byte_size, 0));
    await evictRenditions(deps, image, { presets, asked: new Set(specs.keys()) });
    // Read again: another request may have recorded some first (either row
    // describes the same file). Another's eviction may also have removed some
    // since, a row read before or one just made: those answer as they were,
    // and their URL is rendered again on its first miss (/media/).
    const made = rows.map((row) => [row.variant, { ...row, created_at: now, used_at: now }] as const);
    found = new Map([...found, ...made, ...(await rowsOf())]);
  }
  return answered.map((spec) => found.get(variantOf(spec))!);
}

/**
 * Past MAX_RENDITIONS_PER_IMAGE on-demand renditions, the least recently used
 * go (rows, then the files no row names); presets and the sizes just asked for stay.
 */
async function evictRenditions(
  deps: ThumbnailDeps,
  image: ImageRow,
  keep: { presets: ReadonlySet<string>; asked: ReadonlySet<string> },
): Promise<void> {
  const onDemand = await listEvictableThumbnails(deps.knex, image.id, [...keep.presets]);
  const over = onDemand.length - deps.options.renditions.maxPerImage;
  if (over <= 0) return;
  const evicted = onDemand.filter((row) => !keep.asked.has(row.variant)).slice(0, over);
  await deleteThumbnails(
    deps.knex,
    image.id,
    evicted.map((row) => row.variant),
  );
  deps.metrics.renditionsEvicted.inc(evicted.length);
  // A delete that fails (the storage is down) is the sweeper's to retry; the answer does not wait on it.
  await removeUnnamedFiles(
    deps,
    evicted.map((row) => row.storage_key),
  ).catch(() => {});
}

/**
 * The image's row with everything sampled from its pixels (placeholder,
 * dominant colour, ThumbHash, automatic focal point). Images staged since
 * sampling began have it all; for one staged before, the stored original is
 * sampled once and the row kept up to date (the sample on every row sharing
 * the file, the point on this one: it is in its crop's coordinates).
 */
export async function completeImage(deps: Pick<StagingDeps, "knex" | "storage" | "images">, image: ImageRow): Promise<ImageRow> {
  const sampled = image.placeholder !== null && image.dominant_color !== null && image.thumbhash !== null;
  const focused = image.focal_x !== null && image.focal_y !== null;
  if (sampled && focused) return image;
  const crop = cropOf(image);
  const [whole, region] = await deps.images.run(() =>
    Promise.all([
      sampleImage(deps.storage.read(image.storage_key)),
      crop && !focused ? sampleImage(regionOf(deps.storage.read(image.storage_key), crop)) : undefined,
    ]),
  );
  const sample = { placeholder: whole.placeholder, dominant_color: whole.dominantColor, thumbhash: whole.thumbhash };
  const focus = (region ?? whole).focus;
  const framing = focused ? {} : { focal_x: focus.x, focal_y: focus.y, focal_auto: true };
  if (!sampled) await updateSample(deps.knex, image.storage_key, sample);
  if (!focused) await updateFraming(deps.knex, image.id, framing);
  return { ...image, ...(sampled ? {} : sample), ...framing };
}

export interface RegenerateOptions {
  readonly batchSize: number;
  /** Resume after this image id (the last one a previous run reported). */
  readonly after?: string | undefined;
  /** Told after each batch: how many images so far, and the last id done (the cursor to resume from). */
  readonly onBatch?: (progress: { readonly images: number; readonly lastId: string }) => void;
}

/**
 * Makes the configured preset thumbnails of every staged and committed image
 * that lacks one (after THUMBNAIL_PRESETS changed), and fills in what an
 * image staged before sampling began lacks (ThumbHash, focal point), in batches by id. Each
 * image's existing thumbnails are kept, so a run that stops can simply be
 * started again, or resumed with `after`.
 * @returns how many images were visited.
 */
export async function regeneratePresets(deps: ThumbnailDeps, options: RegenerateOptions): Promise<number> {
  let after = options.after;
  let images = 0;
  for (;;) {
    const batch = await liveImagesAfter(deps.knex, after, options.batchSize);
    for (const image of batch) {
      // Sampled first, so an image staged before ThumbHash and focal points has them after the run.
      await ensureThumbnails(
        deps,
        await completeImage(deps, image),
        presetSpecs(deps.options.presets, formatOfContentType(image.content_type)),
      );
    }
    if (batch.length === 0) break;
    images += batch.length;
    const lastId = batch.at(-1)!.id;
    after = lastId;
    options.onBatch?.({ images, lastId });
    if (batch.length < options.batchSize) break;
  }
  return images;
}

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
    throw refusals.badWidthCount(MAX_WIDTHS, widths.length);
  }
  for (const width of widths) checkThumbnailSize({ width, height: null, fit: "INSIDE", format: "JPEG" }, deps.options.thumbnailMaxSize);
  const formats = request.formats ?? [...new Set<StoredFormat>(["AVIF", "WEBP", formatOfContentType(image.content_type)])];
  if (new Set(formats).size !== formats.length) throw refusals.formatTwice();

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

/** The size a thumbnail key asks for, with its original's stem; undefined for any other key. */
function askedBy(key: string): { readonly stem: string; readonly spec: ThumbnailSpec } | undefined {
  const split = splitThumbnailKey(key);
  const spec = split && sizeOfVariant(split.variant);
  return split && spec ? { stem: split.stem, spec } : undefined;
}

/**
 * Whether `key` is an on-demand rendition's (a thumbnail of a size that is
 * not a preset): the cap may evict its file, and `/media/` renders it again
 * on a miss. Its URL is therefore always the server's `/media/` one, on S3
 * too, where a bucket URL would answer 404 once the file was evicted; the
 * originals and the presets, which are never evicted, keep the bucket's URLs.
 */
export function rendersOnMiss(key: string, presets: readonly { readonly width: number; readonly height: number }[]): boolean {
  const asked = askedBy(key);
  if (!asked) return false;
  const { width, height, fit } = asked.spec;
  return !(fit === "COVER" && presets.some((preset) => preset.width === width && preset.height === height));
}

/**
 * What `/media/<key>` may serve: the content type of a live image's original
 * or thumbnail, or undefined (404).
 *
 * A URL the API answered stays fetchable for as long as its image lives: a
 * rendition the per-image cap (MAX_RENDITIONS_PER_IMAGE) has evicted since
 * is rendered again on its first miss, as any on-demand size is (through the
 * image queue, stored, and counted against the cap, which then lets the least
 * recently used other go). Only a key the rendition policy could have
 * answered for the image as it is framed now is rendered (a ladder or preset
 * size, its crop and focal point), and each image takes at most
 * RENDITIONS_PER_MINUTE such renders a minute, so a miss costs one bounded
 * render, never unbounded work.
 * @throws UpstageError RATE_LIMITED past an image's renders for the minute.
 */
export async function servableContentType(deps: ThumbnailDeps, key: string): Promise<string | undefined> {
  const known = await findServableContentType(deps.knex, key);
  if (known) return known;
  const asked = askedBy(key);
  const { thumbnailMaxSize } = deps.options;
  if (!asked || asked.spec.width > thumbnailMaxSize || (asked.spec.height ?? 0) > thumbnailMaxSize) return undefined;
  for (const image of await findLiveImagesByKeyStem(deps.knex, asked.stem)) {
    const [row] = await ensureThumbnails(deps, image, [asked.spec], { userId: `image:${image.id}` }, { onlyKey: key });
    if (row?.storage_key === key) return row.content_type;
  }
  return undefined;
}
