import { keysNamedByOthers } from "../db/imageQueries.js";
import type { StagingDeps } from "./StagingDeps.js";

/**
 * Deletes the stored files of `keys` that no live row names any more; files
 * shared through dedupe stay while another row (other than `exceptImageId`'s)
 * still names them.
 */
export async function removeUnnamedFiles(deps: Pick<StagingDeps, "knex" | "storage">, keys: readonly string[], exceptImageId?: string): Promise<void> {
  if (keys.length === 0) return;
  const named = await keysNamedByOthers(deps.knex, keys, exceptImageId);
  await Promise.all(keys.filter((key) => !named.has(key)).map((key) => deps.storage.delete(key)));
}
