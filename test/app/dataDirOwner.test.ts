// One process owns an embedded DATA_DIR: a second server is refused, a dead holder does not block, and the CLI goes through the running one.
import { expect, it } from "vitest";
import { cleanedAfterEach } from "../helpers/cleanedAfterEach.js";
import { describeWhen } from "../helpers/describeWhen.js";
import { stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { runCli } from "../helpers/runCli.js";
import { failedStart, freePort, type ServerProcess, spawnServer, tokenFor } from "../helpers/spawnServer.js";

const leftovers = cleanedAfterEach();
const dataDir = () => leftovers.dataDir("owner");
const server = async (env: Record<string, string>): Promise<ServerProcess> => leftovers.server(await spawnServer(env));

const cli = (args: string[], env: Record<string, string>) => runCli(args, env);

// These are about the embedded database's DATA_DIR; PostgreSQL has owners of its own.
describeWhen(
  process.env["DATABASE_URL"] ? "the embedded default (DATABASE_URL unset), which the other CI pass runs" : undefined,
  "one process owns an embedded DATA_DIR",
  { timeout: 120_000 },
  () => {
    it("refuses a second server on the same DATA_DIR in one line naming it and the holder's PID, and the first is unharmed", async () => {
      const dir = await dataDir();
      const first = await server({ DATA_DIR: dir });
      const token = await tokenFor(dir, "alice");
      const second = await failedStart({ DATA_DIR: dir, PORT: String(await freePort()) });
      expect(second.code).toBe(1);
      expect(second.output.trim().split("\n")).toEqual([
        `upstage: DATA_DIR ${dir} is in use by another upstage process (PID ${first.child.pid}): stop it, or give this one a DATA_DIR of its own.`,
      ]);
      const staged = await stageFile(first.graphqlUrl, await jpeg(64, 48), { token });
      expect(staged.status).toBe(200);
    });

    it("a holder killed with SIGKILL does not block the next start", async () => {
      const dir = await dataDir();
      const first = await server({ DATA_DIR: dir });
      const token = await tokenFor(dir, "bob");
      expect((await stageFile(first.graphqlUrl, await jpeg(64, 48), { token })).status).toBe(200);
      first.child.kill("SIGKILL");
      await first.exited;
      const next = await server({ DATA_DIR: dir });
      const stats = await fetch(`${next.url}/readyz`);
      expect(stats.status).toBe(200);
    });

    it("the CLI works beside a running server, through it: stats, sweep, reconcile and regenerate-thumbnails", async () => {
      const dir = await dataDir();
      const running = await server({ DATA_DIR: dir });
      const token = await tokenFor(dir, "carol");
      expect((await stageFile(running.graphqlUrl, await jpeg(64, 48), { token })).status).toBe(200);
      const stats = await cli(["stats"], { DATA_DIR: dir });
      expect(stats.code, stats.stderr).toBe(0);
      expect(JSON.parse(stats.stdout)).toMatchObject({ users: 1, images: { STAGED: { count: 1 } } });
      for (const command of [["sweep"], ["reconcile", "--dry-run"], ["regenerate-thumbnails"], ["migrate"]]) {
        const result = await cli(command, { DATA_DIR: dir });
        expect(result.code, `${command.join(" ")}: ${result.stderr}`).toBe(0);
      }
      expect((await cli(["token", "dave"], { DATA_DIR: dir })).code).toBe(0);
      // The server is unharmed.
      expect((await stageFile(running.graphqlUrl, await jpeg(32, 32), { token })).status).toBe(200);
    });
  },
);
