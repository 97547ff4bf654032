// The stores shared by the spawned processes of one test (a server, its
// restart, the CLI), and what is in them once those processes are gone.
import fs from "node:fs/promises";
import path from "node:path";
import { createDatabase } from "../../src/db/createDatabase.js";
import type { Leftovers } from "./cleanedAfterEach.js";
import { createTestDatabase } from "./testDatabases.js";

/** A data directory and database of its own (PostgreSQL when DATABASE_URL is set), removed after the test. */
export async function processEnvironment(leftovers: Leftovers): Promise<Record<string, string>> {
  const adminUrl = process.env["DATABASE_URL"];
  if (!adminUrl) return { DATA_DIR: await leftovers.dataDir("process") };
  const database = await createTestDatabase(adminUrl);
  leftovers.later(() => database.drop());
  return { DATA_DIR: await leftovers.tempDir("process"), DATABASE_URL: database.url };
}

/** Every file under `dir`, at any depth; none when it does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** Every file under the media root, as the storage keys a row would name. */
export async function mediaKeys(dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, "media");
  return (await filesUnder(root)).map((file) => path.relative(root, file));
}

/** The keys the rows name; PGlite admits one process, so the server must be stopped to look. */
export async function namedKeys(env: Record<string, string>): Promise<Set<string>> {
  const database = await createDatabase({ dataDir: env["DATA_DIR"]!, databaseUrl: env["DATABASE_URL"] });
  try {
    const images: string[] = await database.knex("images").pluck("storage_key");
    const thumbnails: string[] = await database.knex("thumbnails").pluck("storage_key");
    return new Set([...images, ...thumbnails]);
  } finally {
    await database.close();
  }
}
