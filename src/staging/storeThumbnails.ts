import type { NewThumbnailRow } from "../db/rows.js";
import { contentTypeOf } from "../images/imageFormat.js";
import type { RenderedThumbnail } from "../images/renderThumbnails.js";
import { variantOf } from "../images/ThumbnailSpec.js";
import type { Storage } from "../storage/Storage.js";
import { thumbnailKey } from "../storage/storageKey.js";

/**
 * Puts rendered thumbnails beside their original and returns their rows.
 * A variant's key is derived from the original's, so two requests racing to
 * make the same one store it once. Every put is settled before a failure is
 * thrown, so the caller's clean-up never races a put still under way.
 */
export async function storeThumbnails(
  storage: Storage,
  image: { id: string; storage_key: string },
  rendered: readonly RenderedThumbnail[],
): Promise<NewThumbnailRow[]> {
  const settled = await Promise.allSettled(
    rendered.map(async ({ spec, data, width, height }) => {
      const variant = variantOf(spec);
      const key = thumbnailKey(image.storage_key, variant);
      await storage.put(key, data);
      return {
        image_id: image.id,
        variant,
        width,
        height,
        fit: spec.fit,
        format: spec.format,
        storage_key: key,
        content_type: contentTypeOf[spec.format],
        byte_size: data.length,
      };
    }),
  );
  const failed = settled.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<NewThumbnailRow>).value);
}
