import { findImage } from "../db/imageQueries.js";
import type { ImageRow } from "../db/rows.js";
import { isVisibleTo, type Viewer } from "./access.js";
import type { StagingDeps } from "./StagingDeps.js";

/** The image `id` if the viewer may see it (access.ts), else undefined: a hidden image and a missing one look the same. */
export async function findVisibleImage(deps: Pick<StagingDeps, "knex">, viewer: Viewer, id: string): Promise<ImageRow | undefined> {
  const image = await findImage(deps.knex, id);
  return image && isVisibleTo(image, viewer) ? image : undefined;
}
