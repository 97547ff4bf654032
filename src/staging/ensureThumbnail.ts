import type { ImageRow, ThumbnailRow } from "../db/rows.js";
import { findThumbnails, insertThumbnails } from "../db/imageQueries.js";
import { renderThumbnails } from "../images/renderThumbnails.js";
import { checkThumbnailSize, variantOf, type ThumbnailSpec } from "../images/ThumbnailSpec.js";
import { cropOf } from "./avatarCrop.js";
import type { StagingDeps } from "./StagingDeps.js";
import { thumbnailKey } from "../storage/storageKey.js";
import { intendFiles, settleFiles } from "./fileIntents.js";
import { storeThumbnails } from "./storeThumbnails.js";

type ThumbnailDeps = Pick<StagingDeps, "knex" | "storage" | "options" | "metrics" | "instance" | "images">;

/**
 * The thumbnails of `image` for each of `asked`, in order (from its crop, when
 * it has one): a lookup for those made before (presets at stage time, others
 * on first request); the rest are rendered together from one read and one
 * decode of the stored original, stored beside it and recorded, so the next
 * request is a lookup.
 * @throws UpstageError BAD_USER_INPUT when a size is outside the bounds.
 */
export async function ensureThumbnails(deps: ThumbnailDeps, image: ImageRow, asked: readonly ThumbnailSpec[]): Promise<ThumbnailRow[]> {
  for (const spec of asked) checkThumbnailSize(spec, deps.options.thumbnailMaxSize);
  // Every size of a cropped avatar is made from its crop.
  const crop = cropOf(image);
  const specs = new Map(asked.map((spec) => [variantOf({ ...spec, crop }), { ...spec, crop }]));
  const rowsOf = async () => new Map((await findThumbnails(deps.knex, image.id, [...specs.keys()])).map((row) => [row.variant, row]));
  let found = await rowsOf();
  const missing = [...specs].filter(([variant]) => !found.has(variant)).map(([, spec]) => spec);
  if (missing.length > 0) {
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
    // Another request may have recorded some first; either row describes the same file.
    found = await rowsOf();
  }
  return asked.map((spec) => found.get(variantOf({ ...spec, crop }))!);
}

/** One thumbnail of `image` (see ensureThumbnails). */
export async function ensureThumbnail(deps: ThumbnailDeps, image: ImageRow, asked: ThumbnailSpec): Promise<ThumbnailRow> {
  const [row] = await ensureThumbnails(deps, image, [asked]);
  return row!;
}
