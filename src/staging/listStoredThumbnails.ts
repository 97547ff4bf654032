import { listThumbnails } from "../db/imageQueries.js";
import type { ImageRow, ThumbnailRow } from "../db/rows.js";
import type { StagingDeps } from "./StagingDeps.js";

/** Every thumbnail stored for the image now (presets and on-demand sizes); renders nothing. */
export function listStoredThumbnails(deps: Pick<StagingDeps, "knex">, image: ImageRow): Promise<ThumbnailRow[]> {
  return listThumbnails(deps.knex, image.id);
}
