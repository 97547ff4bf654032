import { updateFraming, updateSample } from "../db/imageQueries.js";
import type { ImageRow } from "../db/rows.js";
import { sampleImage } from "../images/sampleImage.js";
import { cropOf, regionOf } from "./framing.js";
import type { StagingDeps } from "./StagingDeps.js";

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
