import fs from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { Config } from "../config.js";
import type { Services } from "./openServices.js";

/** What a backup directory holds. */
const FILES = { database: "database.tar.gz", media: "media", secret: "auth-secret", manifest: "manifest.json" } as const;

export interface BackupManifest {
  readonly format: 1;
  readonly createdAt: string;
  readonly databaseBytes: number;
  readonly mediaFiles: number;
  readonly mediaBytes: number;
}

/** A backup cannot be made or put back; the message says why and what to do. */
export class BackupError extends Error {
  override readonly name = "BackupError";
}

/**
 * Takes a consistent snapshot of the embedded default, while the server
 * runs: the media files as they are (hard links where the volume allows,
 * copies elsewhere; files are never changed once written), then the database
 * (PGlite's own dump, between two queries), then the media files stored in
 * between. Every row of the dump therefore has its file, unless it was being
 * deleted in the same instant (a staged image expiring: the restore's start
 * marks it deleted). The generated auth secret goes along, so tokens stay good.
 * @throws BackupError for PostgreSQL or S3 (their own tools do it), or a directory that is not empty.
 */
export async function backupDataDir(services: Services, target: string): Promise<BackupManifest> {
  const { config, stores } = services;
  if (stores.database.kind !== "pglite" || config.storage.kind !== "local") {
    throw new BackupError(
      "backup covers the embedded default (PGlite and local disk); " +
        "with DATABASE_URL use pg_dump, and with STORAGE=s3 the bucket's own versioning or replication.",
    );
  }
  const dir = path.resolve(target);
  await fs.mkdir(dir, { recursive: true });
  if ((await fs.readdir(dir)).length > 0) throw new BackupError(`The backup directory ${dir} is not empty; give backup a new one.`);
  const media = path.join(config.dataDir, "media");
  const copied = new Set<string>();
  let mediaBytes = 0;
  const copyMedia = async () => {
    for await (const { key } of stores.storage.list()) {
      if (copied.has(key)) continue;
      const file = path.join(media, key);
      const to = path.join(dir, FILES.media, key);
      await fs.mkdir(path.dirname(to), { recursive: true });
      const done = await fs.link(file, to).then(
        () => true,
        () =>
          fs.copyFile(file, to).then(
            () => true,
            () => false,
          ), // another volume; or deleted meanwhile
      );
      if (!done) continue;
      copied.add(key);
      mediaBytes += (await fs.stat(to)).size;
    }
  };
  await copyMedia();
  const snapshot = await stores.database.snapshot();
  await copyMedia();
  const database = Buffer.from(await snapshot!.arrayBuffer());
  await fs.writeFile(path.join(dir, FILES.database), database);
  await fs.copyFile(path.join(config.dataDir, FILES.secret), path.join(dir, FILES.secret)).catch(() => {});
  const manifest: BackupManifest = {
    format: 1,
    createdAt: new Date().toISOString(),
    databaseBytes: database.length,
    mediaFiles: copied.size,
    mediaBytes,
  };
  await fs.writeFile(path.join(dir, FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * Puts a backup back into DATA_DIR. The caller holds DATA_DIR's lock (no
 * server runs). A DATA_DIR that already holds a database is refused unless
 * `replace`; then its database and media are moved aside (into
 * `replaced-<time>/`), never deleted.
 * @throws BackupError for a directory that is not a backup, or a DATA_DIR in use without `replace`.
 */
export async function restoreDataDir(
  config: Config,
  source: string,
  options: { replace: boolean },
): Promise<BackupManifest & { replacedInto: string | null }> {
  if (config.databaseUrl || config.storage.kind !== "local")
    throw new BackupError("restore puts back the embedded default (PGlite and local disk) only.");
  const dir = path.resolve(source);
  const manifest = JSON.parse(await fs.readFile(path.join(dir, FILES.manifest), "utf8").catch(() => "null")) as BackupManifest | null;
  if (manifest?.format !== 1) throw new BackupError(`${dir} is not an upstage backup (no manifest.json).`);
  const dbDir = path.join(config.dataDir, "db");
  const media = path.join(config.dataDir, "media");
  const existing = (await fs.readdir(dbDir).catch(() => [])).length > 0;
  let replacedInto: string | null = null;
  if (existing) {
    if (!options.replace)
      throw new BackupError(`DATA_DIR ${config.dataDir} already holds a database; restore --replace moves it aside first.`);
    replacedInto = path.join(config.dataDir, `replaced-${new Date().toISOString().replace(/[:.]/g, "-")}`);
    await fs.mkdir(replacedInto);
    await fs.rename(dbDir, path.join(replacedInto, "db"));
    await fs.rename(media, path.join(replacedInto, "media")).catch(() => {});
  }
  await fs.mkdir(dbDir, { recursive: true });
  const tarball = new Blob([await fs.readFile(path.join(dir, FILES.database))]);
  const pglite = new PGlite({ dataDir: dbDir, loadDataDir: tarball });
  await pglite.waitReady;
  await pglite.close();
  await fs.cp(path.join(dir, FILES.media), media, { recursive: true, errorOnExist: false }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
  await fs.copyFile(path.join(dir, FILES.secret), path.join(config.dataDir, FILES.secret)).catch(() => {});
  return { ...manifest, replacedInto };
}
