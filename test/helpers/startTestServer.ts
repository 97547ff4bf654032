import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { mintToken } from "../../src/auth/mintToken.js";
import { loadConfig } from "../../src/config.js";
import type { ProgressBus } from "../../src/progress/ProgressBus.js";
import { createServer, type ServerOverrides, type UpstageServer } from "../../src/server/createServer.js";
import { observeSubscriptions } from "./observeSubscriptions.js";
import { createTestDatabase, seedEmbeddedDatabase } from "./testDatabases.js";

export interface TestServer {
  readonly server: UpstageServer;
  readonly url: string;
  readonly graphqlUrl: string;
  readonly dataDir: string;
  /** The database this server uses, when it is PostgreSQL. */
  readonly databaseUrl: string | undefined;
  /** A bearer token for `username` (also its user id); `admin` gives it the admin role. */
  token(username: string, options?: { expiresIn?: string; admin?: boolean }): Promise<string>;
  /** Resolves once `count` subscriptions to `uploadId` on this server hear every event from now on. */
  subscribed(uploadId: string, count?: number): Promise<void>;
  /** Every file under the media root and the scratch directory, relative to the data directory. */
  files(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Starts a real server on a free port with its own data directory and its own
 * database: embedded PGlite, or, when DATABASE_URL is set, a fresh database on
 * that PostgreSQL server, dropped again by `stop()`. With REDIS_URL set, the
 * progress bus is Redis. A DATA_DIR or DATABASE_URL in `env` is shared with
 * another server (a second instance) and left in place by `stop()`.
 */
export async function startTestServer(env: Record<string, string> = {}, overrides: ServerOverrides = {}): Promise<TestServer> {
  const dataDir = env["DATA_DIR"] ?? (await fs.mkdtemp(path.join(os.tmpdir(), "upstage-test-")));
  const database = !env["DATABASE_URL"] && process.env["DATABASE_URL"] ? await createTestDatabase(process.env["DATABASE_URL"]) : undefined;
  // A new embedded data directory starts from the run's migrated template.
  if (!env["DATA_DIR"] && !database && !env["DATABASE_URL"]) await seedEmbeddedDatabase(dataDir);
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env["LOG_LEVEL"] ?? "silent",
    NODE_ENV: "test",
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...(process.env["REDIS_URL"] ? { REDIS_URL: process.env["REDIS_URL"] } : {}),
    ...env,
  });
  // A server that refuses to start (a test of that) must not leave its database behind.
  const subscriptions = observeSubscriptions();
  const wrapProgressBus = (bus: ProgressBus) => subscriptions.wrap(overrides.wrapProgressBus ? overrides.wrapProgressBus(bus) : bus);
  const server = await createServer(config, { ...overrides, wrapProgressBus }).catch(async (error: unknown) => {
    await database?.drop();
    if (!env["DATA_DIR"]) await fs.rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  return {
    server,
    url: server.url,
    graphqlUrl: `${server.url}/graphql`,
    dataDir,
    databaseUrl: config.databaseUrl,
    token: (username, options) => mintToken(server.authSecret.key, username, options),
    subscribed: (uploadId, count) => subscriptions.subscribed(uploadId, count),
    files: () => listFiles(dataDir, ["media", "tmp"]),
    async stop() {
      await server.stop();
      await database?.drop();
      if (!env["DATA_DIR"]) await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function listFiles(root: string, dirs: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const dir of dirs) {
    const entries = await fs.readdir(path.join(root, dir), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isFile()) found.push(path.relative(root, path.join(entry.parentPath, entry.name)));
    }
  }
  return found.sort();
}
