import { liveImagesAfter } from "../db/imageQueries.js";
import { formatOfContentType } from "../images/imageFormat.js";
import { completeImage } from "./completeImage.js";
import { ensureThumbnails, type ThumbnailDeps } from "./ensureThumbnails.js";
import { presetSpecs } from "./renditionPolicy.js";

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
