// Databases for test servers. PGlite's initdb alone takes about 3 s of a core
// here, and a migration more; so the run migrates one template of each kind
// once (test/globalSetup.ts), and every test server gets a copy of it: a file
// copy of the embedded data directory, or CREATE DATABASE … TEMPLATE on
// PostgreSQL. A migration from nothing still runs every time: the templates'
// own, and the packaged test's first start.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { createDatabase } from "../../src/db/createDatabase.js";

const execFileAsync = promisify(execFile);

/** Set by the global setup, read by the workers it forks. */
const RUN = "UPSTAGE_TEST_RUN";
const EMBEDDED_TEMPLATE = "UPSTAGE_TEST_EMBEDDED_TEMPLATE";
const POSTGRES_TEMPLATE = "UPSTAGE_TEST_POSTGRES_TEMPLATE";

/** Every PostgreSQL database a run makes starts with this, so the run's end can drop them all. */
const runDatabasePrefix = (run: string) => `upstage_test_${run}_`;

/**
 * Migrates one embedded template in a temporary directory and, when
 * `adminUrl` is set, one PostgreSQL template database, and says where they
 * are through the environment the workers inherit. Resolves with what removes
 * the embedded one.
 */
export async function prepareTemplates(run: string, adminUrl: string | undefined): Promise<() => Promise<void>> {
  process.env[RUN] = run;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "upstage-template-"));
  const embedded = await createDatabase({ dataDir: dir });
  await embedded.migrate();
  await embedded.close();
  process.env[EMBEDDED_TEMPLATE] = path.join(dir, "db");
  if (adminUrl) {
    const name = `${runDatabasePrefix(run)}template`;
    await withAdmin(adminUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
    const template = await createDatabase({ dataDir: dir, databaseUrl: databaseUrlOf(adminUrl, name) });
    await template.migrate();
    // CREATE DATABASE … TEMPLATE refuses a template anyone is connected to.
    await template.close();
    process.env[POSTGRES_TEMPLATE] = name;
  }
  return () => fs.rm(dir, { recursive: true, force: true });
}

/**
 * Puts a migrated embedded database into `dataDir` (a copy of the run's
 * template), so a server started on it finds nothing to migrate. Does nothing
 * outside a run's global setup: the server then makes its own.
 */
export async function seedEmbeddedDatabase(dataDir: string): Promise<void> {
  const template = process.env[EMBEDDED_TEMPLATE];
  if (!template) return;
  // cp copies PGlite's thousand small files in about 70 ms, where fs.cp takes ten times that.
  await execFileAsync("cp", ["-a", template, path.join(dataDir, "db")]);
}

/**
 * A fresh database on the PostgreSQL server of `adminUrl` (migrated already
 * when the run has a template), dropped by `drop()`, and in any case at the
 * end of the run (test/globalSetup.ts, by the run's name in it).
 */
export async function createTestDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${runDatabasePrefix(process.env[RUN] ?? "solo")}${randomBytes(6).toString("hex")}`;
  const template = process.env[POSTGRES_TEMPLATE];
  await withAdmin(adminUrl, (admin) => admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ""}`));
  return {
    url: databaseUrlOf(adminUrl, name),
    async drop() {
      await withAdmin(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** Drops every database the run `run` made on `adminUrl`'s server, templates included. */
export async function dropRunDatabases(adminUrl: string, run: string): Promise<void> {
  await withAdmin(adminUrl, async (admin) => {
    const { rows } = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [
      `${runDatabasePrefix(run)}%`,
    ]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  });
}

function databaseUrlOf(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(adminUrl: string, work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
