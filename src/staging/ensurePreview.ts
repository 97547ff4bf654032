import type { ImageRow } from "../db/rows.js";
import { previewOf, type Preview } from "../images/previewOf.js";
import type { StagingDeps } from "./StagingDeps.js";

/**
 * An image's preview: from its row, or, for an image staged before previews
 * were computed, made from the stored original once and kept on the row.
 */
export async function ensurePreview(deps: Pick<StagingDeps, "knex" | "storage" | "images">, image: ImageRow): Promise<Preview> {
  if (image.placeholder && image.dominant_color) return { placeholder: image.placeholder, dominantColor: image.dominant_color };
  const preview = await deps.images.run(() => previewOf(deps.storage.read(image.storage_key)));
  await deps.knex<ImageRow>("images")
    .where({ storage_key: image.storage_key })
    .update({ placeholder: preview.placeholder, dominant_color: preview.dominantColor });
  return preview;
}
