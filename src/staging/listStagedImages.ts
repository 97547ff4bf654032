import { listStaged } from "../db/imageQueries.js";
import type { ImageRow } from "../db/rows.js";
import type { StagingDeps } from "./StagingDeps.js";

/** The user's staged images that have not expired, newest first. */
export function listStagedImages(deps: Pick<StagingDeps, "knex" | "now">, userId: string): Promise<ImageRow[]> {
  return listStaged(deps.knex, userId, deps.now());
}
