import type { Knex } from "knex";

export interface PendingFileRow {
  readonly storage_key: string;
  /** The process that meant to write it: its scratch directory's name, `<host>-<pid>-<random>`. */
  readonly instance: string;
  readonly created_at: Date;
}

/**
 * Records `keys` as pending under `instance` from now, taking over the
 * intents of keys pending already (a racing request's, or a failed delete's):
 * the latest writer owns the intent, so no clean-up deletes a file it is
 * about to write.
 */
export async function recordPendingFiles(db: Knex, keys: readonly string[], instance: string): Promise<void> {
  if (keys.length === 0) return;
  await db("pending_files")
    .insert(keys.map((storage_key) => ({ storage_key, instance })))
    .onConflict("storage_key")
    .merge({ instance: db.raw("EXCLUDED.instance"), created_at: db.fn.now() });
}

/** Forgets the intents of `keys`: in the transaction that records their rows, or once their files are deleted. */
export async function clearPendingFiles(db: Knex, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await db("pending_files").whereIn("storage_key", keys).delete();
}

/** Pending files, oldest first. */
export function listPendingFiles(db: Knex, limit: number): Promise<PendingFileRow[]> {
  return db<PendingFileRow>("pending_files").orderBy("created_at").limit(limit);
}
