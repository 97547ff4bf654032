import { keysNamedByOthers } from "../db/imageQueries.js";
import { retryDeletes } from "./fileIntents.js";
import type { StagingDeps } from "./StagingDeps.js";

/**
 * Deletes the stored files of `keys` that no live row names any more; files
 * shared through dedupe stay while another row (other than `exceptImageId`'s)
 * still names them. A delete that fails (the storage is down) is recorded for
 * the sweeper's next pass, then the first failure is thrown.
 */
export async function removeUnnamedFiles(
  deps: Pick<StagingDeps, "knex" | "storage">,
  keys: readonly string[],
  exceptImageId?: string,
): Promise<void> {
  if (keys.length === 0) return;
  const named = await keysNamedByOthers(deps.knex, keys, exceptImageId);
  const unnamed = keys.filter((key) => !named.has(key));
  const results = await Promise.allSettled(unnamed.map((key) => deps.storage.delete(key)));
  const failed = unnamed.filter((_, i) => results[i]!.status === "rejected");
  if (failed.length === 0) return;
  await retryDeletes(deps, failed);
  throw (results.find((result) => result.status === "rejected") as PromiseRejectedResult).reason;
}
