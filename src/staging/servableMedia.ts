import { findLiveImagesByKeyStem, findServableContentType } from "../db/imageQueries.js";
import { sizeOfVariant, type ThumbnailSpec } from "../images/ThumbnailSpec.js";
import { splitThumbnailKey } from "../storage/storageKey.js";
import { ensureThumbnails, type ThumbnailDeps } from "./thumbnails.js";

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
