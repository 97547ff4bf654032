import fs from "node:fs/promises";
import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { PGlite } from "@electric-sql/pglite";
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
    pglite = new PGlite(filename);
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
