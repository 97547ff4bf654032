import type { ImageRow, ThumbnailRow } from "../db/rows.js";
import { findThumbnail, insertThumbnails } from "../db/imageQueries.js";
import { renderThumbnails } from "../images/renderThumbnails.js";
import { checkThumbnailSize, variantOf, type ThumbnailSpec } from "../images/ThumbnailSpec.js";
import { cropOf } from "./avatarCrop.js";
import type { StagingDeps } from "./StagingDeps.js";
import { storeThumbnails } from "./storeThumbnails.js";

/**
 * The thumbnail of `image` for `asked` (from its crop, when it has one): a lookup when it was made before
 * (presets at stage time, others on first request), else rendered from the
 * stored original, stored beside it and recorded, so the next request is a lookup.
 * @throws UpstageError BAD_USER_INPUT when the size is outside the bounds.
 */
export async function ensureThumbnail(
  deps: Pick<StagingDeps, "knex" | "storage" | "options" | "metrics">,
  image: ImageRow,
  asked: ThumbnailSpec,
): Promise<ThumbnailRow> {
  checkThumbnailSize(asked, deps.options.thumbnailMaxSize);
  // Every size of a cropped avatar is made from its crop.
  const spec: ThumbnailSpec = { ...asked, crop: cropOf(image) };
  const variant = variantOf(spec);
  const existing = await findThumbnail(deps.knex, image.id, variant);
  if (existing) return existing;

  const making = deps.metrics.thumbnailSeconds.startTimer({ kind: "on_demand" });
  const rendered = await renderThumbnails(deps.storage.read(image.storage_key), [spec]);
  const rows = await storeThumbnails(deps.storage, image, rendered);
  making();
  await insertThumbnails(deps.knex, rows);
  // Another request may have recorded it first; either row describes the same file.
  return (await findThumbnail(deps.knex, image.id, variant)) ?? { ...rows[0]!, created_at: new Date() };
}
