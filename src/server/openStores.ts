import path from "node:path";
import type { Config } from "../config.js";
import { createDatabase, type Database } from "../db/createDatabase.js";
import { createLocalStorage } from "../storage/createLocalStorage.js";
import { createS3Storage } from "../storage/createS3Storage.js";
import { createScratch, type Scratch } from "../storage/createScratch.js";
import type { Storage } from "../storage/Storage.js";

/** Where upstage keeps things: the database (migrated), scratch files, and the media storage the config names. */
export interface Stores {
  readonly database: Database;
  readonly scratch: Scratch;
  readonly storage: Storage;
  /** Closes the storage, the scratch directory, then the database. */
  close(): Promise<void>;
}

/** Opens the stores for the server and for the command-line tool alike. */
export async function openStores(config: Config, options: { wrapStorage?: ((storage: Storage) => Storage) | undefined } = {}): Promise<Stores> {
  const database = await createDatabase(config);
  await database.migrate();
  const scratch = await createScratch({ root: path.join(config.dataDir, "tmp") });
  const chosen =
    config.storage.kind === "s3"
      ? createS3Storage(config.storage)
      : await createLocalStorage({ root: path.join(config.dataDir, "media"), incoming: scratch.dir });
  const storage = options.wrapStorage ? options.wrapStorage(chosen) : chosen;
  return {
    database,
    scratch,
    storage,
    async close() {
      await storage.close();
      await scratch.close();
      await database.close();
    },
  };
}
