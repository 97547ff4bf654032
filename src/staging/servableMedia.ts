import { findLiveImagesByKeyStem, findServableContentType } from "../db/imageQueries.js";
import type { StoredFormat } from "../images/imageFormat.js";
import { extensionOf } from "../images/imageFormat.js";
import { thumbnailKey } from "../storage/storageKey.js";
import type { ThumbnailSpec } from "../images/ThumbnailSpec.js";
import { ensureThumbnails, type ThumbnailDeps } from "./ensureThumbnails.js";

/** `<stem>.<w>x<h|auto>.<fit>[.c…][.f…].<ext>`: a thumbnail's key, as thumbnailKey and variantOf write it. */
const THUMBNAIL_KEY = /^(images\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36})\.(\d{1,5})x(\d{1,5}|auto)\.(cover|contain|inside)(?:\.c\d+x\d+x\d+x\d+)?(?:\.f\d+x\d+)?\.([a-z0-9]+)$/;

const formatOfExtension = new Map(Object.entries(extensionOf).map(([format, extension]) => [extension, format as StoredFormat]));

/** The size a thumbnail key asks for, or undefined for any other key. */
function askedBy(key: string): { readonly stem: string; readonly spec: ThumbnailSpec } | undefined {
  const match = THUMBNAIL_KEY.exec(key);
  const format = match && formatOfExtension.get(match[5]!);
  if (!match || !format) return undefined;
  const spec: ThumbnailSpec = {
    width: Number(match[2]),
    height: match[3] === "auto" ? null : Number(match[3]),
    fit: match[4]!.toUpperCase() as ThumbnailSpec["fit"],
    format,
  };
  return { stem: match[1]!, spec };
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
    if (thumbnailKey(image.storage_key, "") !== `${asked.stem}.`) continue;
    const [row] = await ensureThumbnails(deps, image, [asked.spec], { userId: `image:${image.id}` }, { onlyKey: key });
    if (row?.storage_key === key) return row.content_type;
  }
  return undefined;
}
