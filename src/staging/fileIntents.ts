import type { Knex } from "knex";
import { keysNamedByOthers } from "../db/imageQueries.js";
import { clearPendingFiles, listPendingFiles, recordPendingFiles } from "../db/pendingFileQueries.js";
import { isDeadInstanceOf, parseInstanceName } from "../storage/createScratch.js";
import type { StagingDeps } from "./StagingDeps.js";

/**
 * The intent log that keeps a file from outliving a crash without its row:
 * `intendFiles` commits a pending-file row for each key before a byte is
 * written; `settleFiles` removes them in the transaction that inserts the
 * rows naming the files (a new image's insert does it in the same statement:
 * `insertImageWithFiles`); `cleanPendingFiles`, at start-up and on the
 * sweeper's timer, deletes what a dead process (or a failure) left pending.
 */

/** Records, and commits, the intent to write `keys`. Call before the first byte goes to storage. */
export function intendFiles(deps: Pick<StagingDeps, "knex" | "instance">, keys: readonly string[]): Promise<void> {
  return recordPendingFiles(deps.knex, keys, deps.instance);
}

/** In the transaction that inserts the rows naming `keys`: they are no longer pending. */
export function settleFiles(trx: Knex.Transaction, keys: readonly string[]): Promise<void> {
  return clearPendingFiles(trx, keys);
}

/** The intents whose delete failed: the clean-up's next pass (the sweeper's) tries each again, whoever wrote it. */
const ABANDONED = "abandoned";

/** Files no row names whose delete failed (the storage is down): their delete is retried on the sweeper's next pass. */
export function retryDeletes(deps: Pick<StagingDeps, "knex">, keys: readonly string[]): Promise<void> {
  return recordPendingFiles(deps.knex, keys, ABANDONED);
}

/**
 * After a failure: deletes the files of `keys` that no row names, then
 * forgets their intents. A delete that fails (storage down) is left to the
 * next clean-up pass (retryDeletes).
 */
export async function abandonFiles(deps: Pick<StagingDeps, "knex" | "storage">, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  const named = await keysNamedByOthers(deps.knex, keys);
  const deleted = await Promise.all(
    keys.map(async (key) => {
      if (named.has(key)) return key;
      return deps.storage.delete(key).then(
        () => key,
        () => undefined,
      );
    }),
  );
  await clearPendingFiles(
    deps.knex,
    deleted.filter((key): key is string => key !== undefined),
  );
  await retryDeletes(
    deps,
    keys.filter((_, i) => deleted[i] === undefined),
  );
}

/** A pending file is abandoned when its process is gone (this host), or it is older than this, whoever wrote it. */
const PENDING_FILE_GRACE_MS = 60 * 60 * 1000; // 1 hour: longer than any upload or commit takes

/**
 * Deletes the files a dead process, a failure or a failed delete left
 * pending (and not named by any row), and forgets their intents. Works the same on local
 * disk and S3; a delete that fails stays pending for the next pass.
 * @returns how many intents were settled.
 */
export async function cleanPendingFiles(
  deps: Pick<StagingDeps, "knex" | "storage" | "instance" | "now" | "log">,
  options: { batchSize?: number } = {},
): Promise<number> {
  const host = parseInstanceName(deps.instance)?.host;
  const oldest = deps.now().getTime() - PENDING_FILE_GRACE_MS;
  const pending = await listPendingFiles(deps.knex, options.batchSize ?? 500);
  const abandoned = pending.filter((row) => {
    if (row.instance === ABANDONED || row.created_at.getTime() < oldest) return true;
    return row.instance !== deps.instance && isDeadInstanceOf(row.instance, host);
  });
  if (abandoned.length === 0) return 0;
  await abandonFiles(
    deps,
    abandoned.map((row) => row.storage_key),
  );
  deps.log.info({ files: abandoned.length }, "files a crash or a failure left without rows were cleaned up");
  return abandoned.length;
}

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
