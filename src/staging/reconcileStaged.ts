import { markDeleted, stagedImageKeys } from "../db/imageQueries.js";
import type { StagingDeps } from "./StagingDeps.js";

/**
 * At start: a staged image whose original is not in storage (lost with a
 * crashed disk or a hand-cleaned volume) is marked DELETED, so it is never
 * offered and the sweeper removes what is left of it.
 * Files are stored before their row is written, so a crash never leaves a row
 * ahead of its files by itself.
 * @returns how many images were marked.
 */
export async function reconcileStaged(deps: Pick<StagingDeps, "knex" | "storage">): Promise<number> {
  const staged = await stagedImageKeys(deps.knex);
  let marked = 0;
  for (const image of staged) {
    if (await deps.storage.stat(image.storage_key)) continue;
    if (await markDeleted(deps.knex, image.id, ["STAGED"])) marked += 1;
  }
  return marked;
}
