// The operator's tool, run in-process on the stores a server left behind (and
// once as its own process, for the exit code).

import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newImageKey } from "../../src/storage/storageKey.js";
import { graphql, stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { COMMIT_PROFILE } from "../helpers/operations.js";
import { ADD_PHOTOS } from "../helpers/photoOperations.js";
import { type CliResult, runCli, spawnCli } from "../helpers/runCli.js";
import { startTestServer } from "../helpers/startTestServer.js";
import { createTestDatabase, seedEmbeddedDatabase } from "../helpers/testDatabases.js";
import { createTusUpload } from "../helpers/tus.js";

describe("npm run cli", { timeout: 120_000 }, () => {
  let dataDir: string;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let env: Record<string, string>;
  let staged: { imageId: string; key: string }[];

  /** The tool run in-process, as `npm run cli` would run it on `env` (and `extra`), with its answer parsed. */
  async function cli(args: string[], extra: Record<string, string> = {}): Promise<CliResult & { json: any }> {
    const result = await runCli(args, { ...env, ...extra });
    return { ...result, json: result.stdout.trim().startsWith("{") ? JSON.parse(result.stdout) : undefined };
  }

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "upstage-cli-"));
    database = process.env["DATABASE_URL"] ? await createTestDatabase(process.env["DATABASE_URL"]) : undefined;
    if (!database) await seedEmbeddedDatabase(dataDir);
    env = { DATA_DIR: dataDir, THUMBNAIL_PRESETS: "125x125", ...(database ? { DATABASE_URL: database.url } : {}) };
    // A server stages three images and commits one, then stops: PGlite allows one process at a time.
    const t = await startTestServer(env);
    const token = await t.token("operator");
    staged = [];
    for (const size of [300, 200, 100]) {
      const image = (await stageFile(t.graphqlUrl, await jpeg(size, size), { token })).body.data!.stageImage;
      staged.push({ imageId: image.image.id, key: new URL(image.image.url).pathname.replace("/media/", "") });
    }
    await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: staged[0]!.imageId } }, token);
    // A fourth becomes a photo, and a resumable upload is begun and left.
    const photo = (await stageFile(t.graphqlUrl, await jpeg(150, 150), { token })).body.data!.stageImage;
    expect(
      (await graphql(t.graphqlUrl, ADD_PHOTOS, { input: { photos: [{ stagedImageId: photo.id }] } }, token)).body.errors,
    ).toBeUndefined();
    const begun = await createTusUpload(t.url, { token, length: 5000 });
    expect(begun.status).toBe(201);
    await t.stop();
  }, 60_000);

  afterAll(async () => {
    await database?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("stats: users, images by status, thumbnails, photos, resumable uploads", async () => {
    const { code, json } = await cli(["stats"]);
    expect(code).toBe(0);
    expect(json.users).toBe(1);
    expect(json.images.COMMITTED.count).toBe(2);
    expect(json.images.STAGED.count).toBe(2);
    expect(json.thumbnails.count).toBe(4);
    expect(json.photos).toBe(1);
    expect(json.resumableUploads).toEqual({ count: 1, bytes: 5000 });
    expect(json.nextExpiry).not.toBeNull();
  });

  it("regenerate-thumbnails: makes the presets that are missing, in batches it can resume from, and no more on a second run", async () => {
    const first = await cli(["regenerate-thumbnails", "--batch", "2"], { THUMBNAIL_PRESETS: "125x125,48x48" });
    expect(first.code).toBe(0);
    expect(first.json.images).toBe(4);
    expect(first.stderr).toMatch(/2 images done; resume with --after [0-9a-f-]{36}/);
    expect((await cli(["stats"])).json.thumbnails.count).toBe(8);
    const files = await fs.readdir(path.join(dataDir, "media"), { recursive: true });
    expect(files.filter((file) => file.endsWith(".48x48.cover.jpg"))).toHaveLength(4);

    const again = await cli(["regenerate-thumbnails"], { THUMBNAIL_PRESETS: "125x125,48x48" });
    expect(again.json.images).toBe(4);
    expect((await cli(["stats"])).json.thumbnails.count).toBe(8);
  });

  it("reconcile: reports rows without files and files without rows, changes nothing on a dry run, then repairs; young files are left alone", async () => {
    const media = path.join(dataDir, "media");
    // A file no row names (an instance died between storing and recording it)…
    const orphan = newImageKey("jpg", new Date());
    await fs.mkdir(path.dirname(path.join(media, orphan)), { recursive: true });
    await fs.writeFile(path.join(media, orphan), "orphan");
    // …and a staged image whose original is gone.
    const lost = staged[1]!;
    await fs.rm(path.join(media, lost.key));

    const young = await cli(["reconcile", "--dry-run"]);
    expect(young.json.orphanFiles).toEqual([]);
    const dry = await cli(["reconcile", "--dry-run", "--grace", "0"]);
    expect(dry.code).toBe(0);
    expect(dry.json).toMatchObject({ dryRun: true, orphanFiles: [orphan], stagedWithoutFile: [lost.imageId], committedWithoutFile: [] });
    await expect(fs.access(path.join(media, orphan))).resolves.toBeUndefined();

    const fixed = await cli(["reconcile", "--grace", "0"]);
    expect(fixed.json).toMatchObject({ dryRun: false, orphanFiles: [orphan], stagedWithoutFile: [lost.imageId] });
    await expect(fs.access(path.join(media, orphan))).rejects.toThrow();
    expect((await cli(["stats"])).json.images.DELETED.count).toBe(1);
  });

  it("sweep: removes the images marked for deletion, files and rows", async () => {
    const { code, json } = await cli(["sweep"], { STAGE_TTL: "1" });
    expect(code).toBe(0);
    expect(json).toEqual({ removed: 1, skipped: false });
    const stats = (await cli(["stats"])).json;
    expect(stats.images.DELETED.count).toBe(0);
    expect(stats.images.COMMITTED.count).toBe(2);
  });

  it("token and migrate", async () => {
    expect((await cli(["token", "someone"])).stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect((await cli(["migrate"])).json).toMatchObject({ applied: [] });
  });

  it("token --admin mints an admin's token; without it, the admin list is refused", async () => {
    const query = "{ images(first: 1) { totalCount } }";
    // The token needs no database: it is minted beside the running server, with its secret.
    const t = await startTestServer(env);
    try {
      const admin = (await cli(["token", "ops", "--admin"])).stdout.trim();
      expect((await graphql(t.graphqlUrl, query, {}, admin)).body.errors).toBeUndefined();
      const plain = (await cli(["token", "ops"])).stdout.trim();
      expect((await graphql(t.graphqlUrl, query, {}, plain)).body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    } finally {
      await t.stop();
    }
  });

  it("says how to use it, with exit code 2, when asked wrongly", async () => {
    const unknown = await cli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown command: frobnicate");
    expect(unknown.stderr).toContain("Usage: npm run cli -- <command>");
    // The process itself exits with that code, and prints the same.
    const spawned = await spawnCli(["frobnicate"], env);
    expect(spawned.code).toBe(2);
    expect(spawned.stderr).toContain("Unknown command: frobnicate");
    expect((await cli(["reconcile", "--grace", "soon"])).code).toBe(2);
    expect((await cli(["regenerate-thumbnails", "--after", "nope"])).code).toBe(2);
  });
});
