// Issue catalogue, faults of the whole process: killed, and stopped.
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { createDatabase } from "../../src/db/createDatabase.js";
import { cleanedAfterEach } from "../helpers/cleanedAfterEach.js";
import { graphql, stageFile } from "../helpers/graphqlClient.js";
import { jpeg, photo } from "../helpers/images.js";
import { COMMIT_PROFILE } from "../helpers/operations.js";
import { rawUpload, type RawUploadResult } from "../helpers/rawUpload.js";
import { spawnServer, tokenFor, type ServerProcess } from "../helpers/spawnServer.js";
import { startS3Server } from "../helpers/s3Server.js";
import { createTestDatabase } from "../helpers/startTestServer.js";
import { collect, UPLOAD_PROGRESS, wsClient } from "../helpers/subscribe.js";
import { metricValue } from "../helpers/metricValue.js";
import { waitFor } from "../helpers/waitFor.js";

const leftovers = cleanedAfterEach();

/** A data directory and database of its own, shared by the processes of one test. */
async function environment(): Promise<Record<string, string>> {
  const env: Record<string, string> = { DATA_DIR: await leftovers.tempDir("process") };
  if (process.env["DATABASE_URL"]) {
    const database = await createTestDatabase(process.env["DATABASE_URL"]);
    leftovers.later(() => database.drop());
    env["DATABASE_URL"] = database.url;
  }
  return env;
}

const start = async (env: Record<string, string>): Promise<ServerProcess> => leftovers.server(await spawnServer(env));

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** Every file under the media root, as the storage keys a row would name. */
async function mediaKeys(dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, "media");
  return (await filesUnder(root)).map((file) => path.relative(root, file));
}

/** The keys the rows name; PGlite admits one process, so the server must be stopped to look. */
async function namedKeys(env: Record<string, string>): Promise<Set<string>> {
  const database = await createDatabase({ dataDir: env["DATA_DIR"]!, databaseUrl: env["DATABASE_URL"] });
  try {
    const images: string[] = await database.knex("images").pluck("storage_key");
    const thumbnails: string[] = await database.knex("thumbnails").pluck("storage_key");
    return new Set([...images, ...thumbnails]);
  } finally {
    await database.close();
  }
}

describe("SIGKILL between storing files and recording their rows", () => {
  it.each(["local", "s3"] as const)("leaves no file without a row after the restart, on %s storage: the intent log names what the dead process meant to write", async (kind) => {
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
    for (let i = 0; i < 6; i++) uploads.push(stageFile(first.graphqlUrl, file, { token: await tokenFor(env["DATA_DIR"]!, `crash${i}`) }).catch(() => undefined));
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
  }, 90_000);
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
    await waitFor(async () => (await metricValue(first.url, "upstage_upload_received_bytes_total")) >= 0.4 * 10 * file.length, "40 % of the bytes read");
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

describe("SIGTERM during uploads", () => {
  it("stops taking connections, lets a short upload finish, cuts a long one as ABORTED, and exits 0", async () => {
    const env: Record<string, string> = { ...(await environment()), SHUTDOWN_GRACE: "2", LOG_LEVEL: "debug" };
    const server = await start(env);
    const quickToken = await tokenFor(env["DATA_DIR"]!, "quick");
    const slowToken = await tokenFor(env["DATA_DIR"]!, "slow");
    const quickId = randomUUID();
    const slowId = randomUUID();

    const quickWatch = wsClient(server.graphqlUrl, quickToken);
    const slowWatch = wsClient(server.graphqlUrl, slowToken);
    const quickEvents = collect(quickWatch, UPLOAD_PROGRESS, { uploadId: quickId });
    const slowEvents = collect(slowWatch, UPLOAD_PROGRESS, { uploadId: slowId });
    for (const uploadId of [quickId, slowId]) await server.logged((entry) => entry["msg"] === "upload watched" && entry["uploadId"] === uploadId, `that ${uploadId} is watched`);

    const file = await jpeg(500, 500);
    // About a second to send, and about a minute.
    const quick = rawUpload(server.graphqlUrl, file, { token: quickToken, uploadId: quickId, chunkSize: Math.ceil(file.length / 20), delayMs: 50 });
    const slow = rawUpload(server.graphqlUrl, file, { token: slowToken, uploadId: slowId, chunkSize: 2048, delayMs: 200 });
    await waitFor(async () => (await metricValue(server.url, "upstage_active_uploads")) === 2, "both uploads in flight");
    server.child.kill("SIGTERM");
    // It stops listening as it logs this.
    await server.logged((entry) => entry["msg"] === "stopping", "that it is stopping");

    // A new connection is refused; a request on a kept-alive one is turned away.
    const late = await fetch(`${server.url}/healthz`).catch(() => undefined);
    expect(late === undefined || late.status === 503).toBe(true);
    expect((await quick).status).toBe(200);
    expect((await quickEvents).events.at(-1).uploadProgress.phase).toBe("READY");
    expect((await slow).status).toBeUndefined();
    expect((await slowEvents).events.at(-1).uploadProgress.phase).toBe("ABORTED");
    expect(await server.exited).toBe(0);
    await Promise.all([quickWatch.dispose(), slowWatch.dispose()]);
  }, 60_000);
});

describe("SIGTERM with 16 heavy uploads processing", () => {
  it("exits 0, every subscriber hears a terminal event, and no file is left without a row", async () => {
    // One image at a time and no grace: most are still queued or processing when the signal comes.
    const env: Record<string, string> = { ...(await environment()), SHUTDOWN_GRACE: "0", IMAGE_CONCURRENCY: "1" };
    const server = await start(env);
    const file = await photo(3000, 2000).jpeg({ quality: 92 }).toBuffer();
    const watches: { client: ReturnType<typeof wsClient>; events: Promise<{ events: any[] }> }[] = [];
    const processing: Promise<void>[] = [];
    const uploads: Promise<unknown>[] = [];
    for (let i = 0; i < 16; i++) {
      const token = await tokenFor(env["DATA_DIR"]!, `heavy${i}`);
      const uploadId = randomUUID();
      const client = wsClient(server.graphqlUrl, token);
      let seen!: () => void;
      processing.push(new Promise<void>((resolve) => (seen = resolve)));
      const events = collect(client, UPLOAD_PROGRESS, { uploadId }, (event) => {
        if (event.uploadProgress.phase !== "RECEIVING") seen();
      });
      watches.push({ client, events });
      uploads.push(stageFile(server.graphqlUrl, file, { token, uploadId }).catch(() => undefined));
    }
    // Every upload has been received and is waiting for, or in, its image work.
    await Promise.all(processing);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    await Promise.all(uploads);
    for (const { client, events } of watches) {
      const last = (await events).events.at(-1)?.uploadProgress.phase;
      expect(["READY", "FAILED", "ABORTED"]).toContain(last);
      await client.dispose();
    }
    // The next start cleans up what the stop abandoned; then every file has its row.
    const again = await start(env);
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
    const named = await namedKeys(env);
    expect((await mediaKeys(env["DATA_DIR"]!)).filter((key) => !named.has(key))).toEqual([]);
  }, 120_000);
});

describe("process warnings", () => {
  it("go into the JSON log, not onto stderr as plain text: the AWS SDK's Node version warning with STORAGE=s3", async () => {
    const s3 = await startS3Server();
    leftovers.later(() => s3.stop());
    const server = await start({ ...(await environment()), ...s3.env });
    const stopped = server.exited;
    server.child.kill("SIGTERM");
    expect(await stopped).toBe(0);
    const lines = server.output().split("\n").filter((line) => line.trim() !== "");
    expect(lines.filter((line) => !line.startsWith("{"))).toEqual([]);
    const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string; warning?: { message: string } }).filter((entry) => entry.warning);
    // The SDK warns on Node before 22; on a newer Node there is nothing to route.
    if (Number(process.versions.node.split(".")[0]) < 22) {
      expect(warnings.map((entry) => [entry.level, entry.msg])).toEqual([[40, expect.stringContaining("NodeVersionSupportWarning")]]);
      expect(warnings[0]!.warning!.message).toContain("AWS SDK for JavaScript");
    }
  }, 60_000);
});
