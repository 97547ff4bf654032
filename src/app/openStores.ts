import path from "node:path";
import type { Config } from "../config.js";
import { createDatabase, type Database } from "../db/createDatabase.js";
import { createLocalStorage } from "../storage/createLocalStorage.js";
import { createS3DirectUploadBucket } from "../storage/createS3DirectUploadBucket.js";
import { createS3Storage } from "../storage/createS3Storage.js";
import { createScratch, type Scratch } from "../storage/createScratch.js";
import type { DirectUploadBucket } from "../storage/DirectUploadBucket.js";
import type { Storage } from "../storage/Storage.js";
import { redactUrl, StartupError, systemCodeOf } from "./StartupError.js";

/** Where upstage keeps things: the database (migrated), scratch files, and the media storage the config names. */
export interface Stores {
  readonly database: Database;
  readonly scratch: Scratch;
  readonly storage: Storage;
  /** The bucket's quarantine for direct uploads; only with STORAGE=s3. */
  readonly directUploads: DirectUploadBucket | undefined;
  /** The migrations applied when the database was opened. */
  readonly migrated: readonly string[];
  /** Closes the storage, the scratch directory, then the database. */
  close(): Promise<void>;
}

/** Opens the stores for the server and for the command-line tool alike. */
export async function openStores(
  config: Config,
  options: { wrapStorage?: ((storage: Storage) => Storage) | undefined; onDatabaseWarning?: (message: string) => void } = {},
): Promise<Stores> {
  const database = await createDatabase({ ...config, onWarning: options.onDatabaseWarning });
  let scratch: Scratch | undefined;
  try {
    const migrated = await database.migrate().catch((error: unknown) => {
      if (!config.databaseUrl) throw error;
      throw new StartupError(
        "DATABASE_URL",
        `DATABASE_URL ${redactUrl(config.databaseUrl)} cannot be used (${systemCodeOf(error)}): ` +
          "start PostgreSQL there or fix DATABASE_URL.",
        { cause: error },
      );
    });
    scratch = await createScratch({ root: path.join(config.dataDir, "tmp") });
    const chosen =
      config.storage.kind === "s3"
        ? createS3Storage(config.storage)
        : await createLocalStorage({
            root: path.join(config.dataDir, "media"),
            incoming: scratch.dir,
            // Room for a couple of the largest uploads, and their thumbnails.
            minFreeBytes: Math.max(64 * 1024 * 1024, 2 * config.uploads.maxFileSize),
          });
    const storage = options.wrapStorage ? options.wrapStorage(chosen) : chosen;
    const directUploads = config.storage.kind === "s3" ? createS3DirectUploadBucket(config.storage) : undefined;
    const opened = scratch;
    return {
      database,
      scratch: opened,
      storage,
      directUploads,
      migrated,
      async close() {
        directUploads?.close();
        await storage.close();
        await opened.close();
        await database.close();
      },
    };
  } catch (error) {
    // A start that fails closes whatever it had opened.
    await scratch?.close().catch(() => {});
    await database.close().catch(() => {});
    throw error;
  }
}
