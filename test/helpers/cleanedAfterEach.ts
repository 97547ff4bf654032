import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach } from "vitest";
import type { ServerProcess } from "./spawnServer.js";
import { seedEmbeddedDatabase } from "./testDatabases.js";

export interface Leftovers {
  /** A new temporary directory, removed after the test. */
  tempDir(name: string): Promise<string>;
  /** A new DATA_DIR holding a migrated embedded database (a copy of the run's template), removed after the test. */
  dataDir(name: string): Promise<string>;
  /** `started`, killed (if it still runs) after the test. */
  server(started: ServerProcess): ServerProcess;
  /** Anything else to undo after the test (a database to drop, an S3 server to stop), once the servers are gone. */
  later(cleanup: () => Promise<unknown>): void;
}

/**
 * What a test of spawned servers leaves behind, cleaned after each test
 * whether it passed or not: servers killed first, then what `later` was
 * given (last first), then the directories.
 */
export function cleanedAfterEach(): Leftovers {
  const servers: ServerProcess[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGKILL");
      await server.exited;
    }
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
  });
  return {
    async tempDir(name) {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), `upstage-${name}-`));
      dirs.push(dir);
      return dir;
    },
    async dataDir(name) {
      const dir = await this.tempDir(name);
      await seedEmbeddedDatabase(dir);
      return dir;
    },
    server(started) {
      servers.push(started);
      return started;
    },
    later(cleanup) {
      cleanups.push(cleanup);
    },
  };
}
