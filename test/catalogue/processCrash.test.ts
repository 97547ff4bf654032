// Issue catalogue, faults of the whole process: killed without a word (SIGKILL).
// Stopped with SIGTERM: processLifecycle.test.ts.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { createDatabase } from "../../src/db/createDatabase.js";
import { cleanedAfterEach } from "../helpers/cleanedAfterEach.js";
import { createDirect, putToBucket, stageDirect } from "../helpers/directUpload.js";
import { errorCode, graphql, stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { metricValue } from "../helpers/metricValue.js";
import { COMMIT_PROFILE } from "../helpers/operations.js";
import { filesUnder, mediaKeys, namedKeys, processEnvironment } from "../helpers/processStores.js";
import { type RawUploadResult, rawUpload } from "../helpers/rawUpload.js";
import { startS3Server } from "../helpers/s3Server.js";
import { type ServerProcess, spawnServer, tokenFor } from "../helpers/spawnServer.js";
import { waitFor } from "../helpers/waitFor.js";

const leftovers = cleanedAfterEach();
const environment = () => processEnvironment(leftovers);
const start = async (env: Record<string, string>): Promise<ServerProcess> => leftovers.server(await spawnServer(env));
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe("SIGKILL between storing files and recording their rows", () => {
  it.each(["local", "s3"] as const)(
    "leaves no file without a row after the restart, on %s storage: the intent log names what the dead process meant to write",
    async (kind) => {
      const env = await environment();
      const s3 = kind === "s3" ? await startS3Server() : undefined;
      if (s3) {
        leftovers.later(() => s3.stop());
        Object.assign(env, s3.env);
      }
      const first = await start(env);
      const watched = s3 ? s3.directory : path.join(env["DATA_DIR"]!, "media");
      await fs.mkdir(watched, { recursive: true });
      // Killed the moment the first image file lands in storage: its rows are not in yet.
      const watcher = (await import("node:fs")).watch(watched, { recursive: true });
      const landed = new Promise<void>((resolve) =>
        watcher.on("change", (_event, name) => {
          if (/images.*\.(jpg|jpeg|png|webp|avif|gif)/.test(String(name))) resolve();
        }),
      );
      const file = await jpeg(1600, 1200);
      const uploads: Promise<unknown>[] = [];
      for (let i = 0; i < 6; i++)
        uploads.push(stageFile(first.graphqlUrl, file, { token: await tokenFor(env["DATA_DIR"]!, `crash${i}`) }).catch(() => undefined));
      await landed;
      first.child.kill("SIGKILL");
      watcher.close();
      expect(await first.exited).toBe("SIGKILL");
      await Promise.all(uploads);
      const stored = () => (s3 ? s3.keys() : mediaKeys(env["DATA_DIR"]!));
      expect((await stored()).length).toBeGreaterThan(0);

      // The next start deletes what the dead process left pending.
      const second = await start(env);
      second.child.kill("SIGTERM");
      expect(await second.exited).toBe(0);
      const named = await namedKeys(env);
      expect((await stored()).filter((key) => !named.has(key))).toEqual([]);
    },
    90_000,
  );
});

describe("SIGKILL during 10 concurrent uploads", () => {
  it("leaves no partial file, the restart cleans up, and committed images are intact", async () => {
    const env = await environment();
    const first = await start(env);

    // Three users with committed avatars, their bytes remembered.
    const committed = new Map<string, string>();
    for (const name of ["ada", "bob", "cy"]) {
      const token = await tokenFor(env["DATA_DIR"]!, name);
      const staged = await stageFile(first.graphqlUrl, await jpeg(300, 200), { token });
      const id = staged.body.data!["stageImage"].id;
      await graphql(first.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: id } }, token);
      const image = staged.body.data!["stageImage"].image;
      for (const url of [image.url, ...image.thumbnails.map((t: { url: string }) => t.url)]) {
        committed.set(new URL(url).pathname, sha256(Buffer.from(await (await fetch(url)).arrayBuffer())));
      }
    }

    // Ten slow uploads under way, then the process dies without a word.
    const file = await jpeg(800, 800);
    const uploads: Promise<RawUploadResult>[] = [];
    for (let i = 0; i < 10; i++) {
      const token = await tokenFor(env["DATA_DIR"]!, `uploader${i}`);
      uploads.push(rawUpload(first.graphqlUrl, file, { token, chunkSize: 8192, delayMs: 5 + i }));
    }
    // The kill comes once the server has read 40 % of the bytes: the fastest uploads are storing or stored, the slowest mid-body.
    await waitFor(
      async () => (await metricValue(first.url, "upstage_upload_received_bytes_total")) >= 0.4 * 10 * file.length,
      "40 % of the bytes read",
    );
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    const results = await Promise.all(uploads);
    expect(results.every((r) => r.status === undefined || r.status === 200)).toBe(true);

    const second = await start(env);

    // The dead instance's scratch directory is gone; only the new one's, empty, remains.
    expect(await filesUnder(path.join(env["DATA_DIR"]!, "tmp"))).toEqual([]);
    // Everything under the media root is a whole image (visible only complete).
    for (const file of await filesUnder(path.join(env["DATA_DIR"]!, "media"))) {
      await expect(sharp(file, { failOn: "warning" }).stats()).resolves.toBeDefined();
    }
    // Every live row has its file. (PGlite admits one process: stop the server to look.)
    const embedded = !env["DATABASE_URL"];
    if (embedded) {
      second.child.kill("SIGTERM");
      expect(await second.exited).toBe(0);
    }
    const database = await createDatabase({ dataDir: env["DATA_DIR"]!, databaseUrl: env["DATABASE_URL"] });
    try {
      const rows = await database.knex("images").whereIn("status", ["STAGED", "COMMITTED"]);
      for (const row of rows) await expect(fs.stat(path.join(env["DATA_DIR"]!, "media", row.storage_key))).resolves.toBeDefined();
    } finally {
      await database.close();
    }
    // The committed images are intact, byte for byte (served by a fresh process).
    const third = embedded ? await start(env) : second;
    for (const [pathname, digest] of committed) {
      const response = await fetch(`${third.url}${pathname}`);
      expect(response.status).toBe(200);
      expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(digest);
    }
  }, 90_000);
});

describe("SIGKILL while a direct upload is being staged", () => {
  it("it may be staged again (at once on the embedded database, within a minute on PostgreSQL), into one image, and the quarantine is emptied", async () => {
    const env = await environment();
    const s3 = await startS3Server();
    leftovers.later(() => s3.stop());
    Object.assign(env, s3.env, { LOG_LEVEL: "info" });
    const first = await start(env);
    const token = await tokenFor(env["DATA_DIR"]!, "direct-crash");
    const file = await jpeg(2400, 1800);
    const created = await createDirect(first.graphqlUrl, token, { byteSize: file.length });
    const upload = created.body.data!.createDirectUpload;
    expect((await putToBucket(upload, file)).status).toBe(200);
    // Killed the moment it starts reading the object back.
    const staging = first.logged((entry) => entry["msg"] === "direct upload staging", "the stage begins");
    const cut = stageDirect(first.graphqlUrl, token, upload.id).catch((error: unknown) => error);
    await staging;
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    await cut;

    const second = await start(env);
    if (env["DATABASE_URL"]) {
      // Another instance may be staging it: the dead one's hold is a lease that lapses within a minute.
      expect(errorCode(await stageDirect(second.graphqlUrl, token, upload.id))).toBe("UPLOAD_IN_PROGRESS");
      const database = await createDatabase({ dataDir: env["DATA_DIR"]!, databaseUrl: env["DATABASE_URL"] });
      try {
        const row = await database.knex("direct_uploads").where({ id: upload.id }).first();
        expect(row.staging_until.getTime() - Date.now()).toBeLessThanOrEqual(60_000);
        await database
          .knex("direct_uploads")
          .where({ id: upload.id })
          .update({ staging_until: new Date(Date.now() - 1) });
      } finally {
        await database.close();
      }
    }
    const staged = await stageDirect(second.graphqlUrl, token, upload.id);
    expect(staged.body.errors).toBeUndefined();
    expect((await s3.keys()).filter((key) => key.startsWith("quarantine/"))).toEqual([]);
    // PGlite admits one process: stop the server to look.
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    const database = await createDatabase({ dataDir: env["DATA_DIR"]!, databaseUrl: env["DATABASE_URL"] });
    try {
      expect(await database.knex("images").where({ owner_id: "direct-crash" })).toHaveLength(1);
    } finally {
      await database.close();
    }
  }, 90_000);
});
