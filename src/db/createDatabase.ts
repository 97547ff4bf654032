import { once } from "node:events";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import knexFactory, { type Knex } from "knex";
import ClientPgLite from "knex-pglite";
import pg from "pg";
import { migrationSource } from "./migrationSource.js";

// Return BIGINT (byte sizes) as numbers, not strings; sizes stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface DatabaseOptions {
  /** PostgreSQL connection string; when unset, PGlite runs embedded in `dataDir`. */
  readonly databaseUrl?: string | undefined;
  readonly dataDir: string;
  /** Where knex's own warnings go (a pool that cannot connect, say); they are dropped when unset. */
  readonly onWarning?: ((message: string) => void) | undefined;
}

/** What kind of database a knex instance talks to; PGlite has one connection, PostgreSQL a pool. */
export type DatabaseKind = "pglite" | "postgres";

export interface Database {
  readonly knex: Knex;
  readonly kind: DatabaseKind;
  /** Applies pending migrations from `migrations/`; returns the names of those applied now. */
  migrate(): Promise<string[]>;
  /**
   * The embedded database's files as one gzipped tarball, taken between two
   * queries (PGlite runs one at a time, so it is consistent); undefined for
   * PostgreSQL, whose own tools (pg_dump, base backups) do this.
   */
  snapshot(): Promise<Blob | undefined>;
  /** Throws unless the database answers a query now (for /readyz). */
  check(): Promise<void>;
  close(): Promise<void>;
}

/**
 * PGlite's PostgreSQL settings beyond its defaults. Its shared buffers live
 * in the process's own memory (WASM), 128 MB by default; 16 MB hold the
 * embedded default's working set (users, images and thumbnails of a first
 * product's users) and keep the server's resident memory down. An operator
 * whose data outgrows that moves to PostgreSQL (docs/scaling.md).
 */
const PGLITE_SETTINGS = ["-c", "shared_buffers=16MB"];

/** Makes a new PGlite data directory in a short-lived worker thread, whose memory goes when it exits. */
async function initializeInWorker(directory: string): Promise<void> {
  const worker = new Worker(
    `const { workerData } = require("node:worker_threads");
     const { PGlite } = require(workerData.module);
     const db = new PGlite(workerData.directory, { startParams: [...PGlite.defaultStartParams, ...workerData.settings] });
     db.waitReady.then(() => db.close()).then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });`,
    {
      eval: true,
      workerData: { module: createRequire(import.meta.url).resolve("@electric-sql/pglite"), directory, settings: PGLITE_SETTINGS },
    },
  );
  const [code] = (await once(worker, "exit")) as [number];
  if (code !== 0) throw new Error(`PGlite could not create its data directory in ${directory} (the worker exited with ${code}).`);
}

/**
 * Opens the database: PostgreSQL through `pg` when `databaseUrl` is set,
 * otherwise PGlite in `<dataDir>/db` through the same knex dialect.
 */
export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  let knex: Knex;
  let kind: DatabaseKind;
  let pglite: PGlite | undefined;
  if (options.databaseUrl) {
    kind = "postgres";
    const warn = (message: unknown) => options.onWarning?.(String(message));
    knex = knexFactory({
      client: "pg",
      connection: options.databaseUrl,
      pool: { min: 0, max: 10 },
      log: { warn, error: warn, deprecate: warn, debug() {} },
    });
  } else {
    kind = "pglite";
    const filename = path.join(options.dataDir, "db");
    await fs.mkdir(filename, { recursive: true });
    // A new data directory is made (initdb) in a worker of its own: unpacking PGlite's initial
    // files takes some 500 MB, which the worker's exit hands back; the server keeps ~200.
    if (!(await fs.stat(path.join(filename, "PG_VERSION")).catch(() => undefined))) await initializeInWorker(filename);
    pglite = new PGlite(filename, { startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS] });
    knex = knexFactory({ client: ClientPgLite, dialect: "postgres", connection: { pglite } } as Knex.Config);
  }
  return {
    knex,
    kind,
    async migrate() {
      const [, applied] = (await knex.migrate.latest({ migrationSource })) as [number, string[]];
      return applied;
    },
    async snapshot() {
      return pglite?.dumpDataDir("gzip");
    },
    async check() {
      await knex.raw("select 1");
    },
    async close() {
      await knex.destroy();
    },
  };
}
