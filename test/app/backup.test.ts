import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import { cleanedAfterEach } from "../helpers/cleanedAfterEach.js";
import { describeWhen } from "../helpers/describeWhen.js";
import { graphql, stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { COMMIT_PROFILE } from "../helpers/operations.js";
import { runCli } from "../helpers/runCli.js";
import { type ServerProcess, spawnServer, tokenFor } from "../helpers/spawnServer.js";

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

const leftovers = cleanedAfterEach();
const tempDir = (name: string) => leftovers.tempDir(name);
const server = async (dataDir: string): Promise<ServerProcess> => leftovers.server(await spawnServer({ DATA_DIR: dataDir }));

const cli = (args: string[], dataDir: string) => runCli(args, { DATA_DIR: dataDir });

describeWhen(
  process.env["DATABASE_URL"] ? "the embedded default (DATABASE_URL unset), which the other CI pass runs" : undefined,
  "backup and restore of the embedded default",
  { timeout: 180_000 },
  () => {
    it("a backup taken under load restores every committed image, byte for byte, with tokens still good", async () => {
      const dataDir = await leftovers.dataDir("live");
      const live = await server(dataDir);
      const committed = new Map<string, string>();
      for (const name of ["ann", "ben", "cat"]) {
        const token = await tokenFor(dataDir, name);
        const staged = (await stageFile(live.graphqlUrl, await jpeg(400, 300), { token })).body.data!["stageImage"];
        await graphql(live.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: staged.id } }, token);
        for (const url of [staged.image.url, ...staged.image.thumbnails.map((t: { url: string }) => t.url)]) {
          committed.set(new URL(url).pathname, sha256(Buffer.from(await (await fetch(url)).arrayBuffer())));
        }
      }

      // Uploads keep coming while the backup is taken.
      let loading = true;
      const load = (async () => {
        const token = await tokenFor(dataDir, "busy");
        const file = await jpeg(320, 240);
        while (loading) await stageFile(live.graphqlUrl, file, { token }).catch(() => undefined);
      })();
      const backupDir = path.join(await tempDir("backup"), "snapshot");
      const backup = await cli(["backup", backupDir], dataDir);
      loading = false;
      await load;
      expect(backup.code, backup.stderr).toBe(0);
      expect(JSON.parse(backup.stdout)).toMatchObject({ format: 1, mediaFiles: expect.any(Number) });

      // Restoring needs DATA_DIR to itself: refused while the server runs.
      const refused = await cli(["restore", backupDir, "--replace"], dataDir);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/in use by another upstage process/);
      live.child.kill("SIGTERM");
      expect(await live.exited).toBe(0);

      const fresh = await tempDir("restored");
      const restored = await cli(["restore", backupDir], fresh);
      expect(restored.code, restored.stderr).toBe(0);
      const again = await server(fresh);
      for (const [pathname, digest] of committed) {
        const response = await fetch(`${again.url}${pathname}`);
        expect(response.status, pathname).toBe(200);
        expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(digest);
      }
      // The secret came along: a token minted before the backup is still good.
      const viewer = await graphql(again.graphqlUrl, "{ viewer { username avatar { id } } }", {}, await tokenFor(dataDir, "ann"));
      expect(viewer.body.data!["viewer"]).toMatchObject({ username: "ann", avatar: { id: expect.any(String) } });
      again.child.kill("SIGTERM");
      expect(await again.exited).toBe(0);

      // Over a DATA_DIR that has a database: only with --replace, which moves it aside.
      expect((await cli(["restore", backupDir], fresh)).code).toBe(1);
      const replaced = await cli(["restore", backupDir, "--replace"], fresh);
      expect(replaced.code, replaced.stderr).toBe(0);
      const { replacedInto } = JSON.parse(replaced.stdout) as { replacedInto: string };
      await expect(fs.stat(path.join(replacedInto, "db"))).resolves.toBeDefined();
    });
  },
);
