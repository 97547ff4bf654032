// tus 1.0 at /uploads/ through the real tus-js-client: the same chain, the
// same pushed progress and an honest last answer; cut connections and a
// restarted server resume where they stopped.

import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisLocker } from "../../src/server/createRedisLocker.js";
import { describeWhen } from "../helpers/describeWhen.js";
import { expire } from "../helpers/expire.js";
import { graphql } from "../helpers/graphqlClient.js";
import { jpeg, scenery } from "../helpers/images.js";
import { startS3Server } from "../helpers/s3Server.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { collect, UPLOAD_PROGRESS, wsClient } from "../helpers/subscribe.js";
import { startTcpProxy } from "../helpers/tcpProxy.js";
import { createTestDatabase, seedEmbeddedDatabase } from "../helpers/testDatabases.js";
import { createTusUpload, refusalOf, tusUpload, uploadHalf } from "../helpers/tus.js";
import { waitFor } from "../helpers/waitFor.js";

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** The uploads still in the tus data store (each a file and its .json info). */
async function storedUploads(t: TestServer): Promise<string[]> {
  return (await fs.readdir(path.join(t.dataDir, "resumable")).catch(() => [])).sort();
}

/** RECEIVING's bytes never go backwards, and the events end PROCESSING then READY. */
function expectHonestProgress(events: any[], total: number): void {
  const phases = events.map((event) => event.uploadProgress.phase);
  const received = events.filter((event) => event.uploadProgress.phase === "RECEIVING").map((event) => event.uploadProgress.bytesReceived);
  expect(received.length).toBeGreaterThan(0);
  for (let i = 1; i < received.length; i++) expect(received[i]).toBeGreaterThanOrEqual(received[i - 1]);
  expect(events.every((event) => event.uploadProgress.bytesTotal === total)).toBe(true);
  expect(phases.slice(-2)).toEqual(["PROCESSING", "READY"]);
}

describe("tus uploads", () => {
  let t: TestServer;
  let photo: Buffer;
  beforeAll(async () => {
    [t, photo] = await Promise.all([
      startTestServer({ MAX_FILE_SIZE: String(4 * 1024 * 1024), QUOTA_BYTES: String(8 * 1024 * 1024) }),
      scenery(1400, 1000),
    ]);
  });
  afterAll(() => t?.stop());

  it("stages an upload sent in several PATCHes: pushed progress, then the staged image in the last answer", async () => {
    const token = await t.token("tus-user");
    const uploadId = randomUUID();
    const ws = wsClient(t.graphqlUrl, token);
    const watching = collect(ws, UPLOAD_PROGRESS, { uploadId });
    const result = await tusUpload(photo, {
      endpoint: `${t.url}/uploads/`,
      headers: { authorization: `Bearer ${token}` },
      metadata: { filename: "dawn.jpg", filetype: "image/jpeg", uploadId },
      chunkSize: 64 * 1024,
    });
    const { events, error } = await watching;
    await ws.dispose();
    expect(error).toBeUndefined();

    expect(result.status).toBe(200);
    expect(result.stagedImageId).toBeDefined();
    expect(result.body).toMatchObject({
      stagedImage: {
        id: result.stagedImageId,
        expiresAt: expect.any(String),
        image: { id: result.stagedImageId, width: 1400, height: 1000, url: expect.stringContaining("/media/") },
      },
    });
    expectHonestProgress(events, photo.length);
    expect(events.at(-1).uploadProgress.stagedImage.id).toBe(result.stagedImageId);

    const image = await t.server.database.knex("images").where({ id: result.stagedImageId }).first();
    expect(image).toMatchObject({ owner_id: "tus-user", status: "STAGED", sha256: sha256(photo), original_filename: "dawn.jpg" });
    // It commits like any staged image; nothing of the upload is left.
    const committed = await graphql(
      t.graphqlUrl,
      "mutation($id: ID!) { commitProfile(input: { stagedImageId: $id }) { avatar { id } } }",
      { id: result.stagedImageId },
      token,
    );
    expect(committed.body.errors).toBeUndefined();
    await waitFor(async () => (await storedUploads(t)).length === 0, "the store is empty");
    expect(await t.server.database.knex("resumable_uploads")).toEqual([]);
  });

  it("sends everything in the creation request (creation-with-upload) and still answers with the staged image", async () => {
    const token = await t.token("tus-one-shot");
    const small = await jpeg(200, 150);
    const result = await tusUpload(small, {
      endpoint: `${t.url}/uploads/`,
      headers: { authorization: `Bearer ${token}` },
      uploadDataDuringCreation: true,
    });
    expect(result.status).toBe(201);
    expect(result.stagedImageId).toBeDefined();
    expect(await t.server.database.knex("images").where({ id: result.stagedImageId }).first()).toMatchObject({ sha256: sha256(small) });
  });

  it("resumes after the connection is cut at about half: READY, the stored sha256 is the source's, and progress never goes back", async () => {
    const token = await t.token("tus-train");
    const server = new URL(t.url);
    const proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port) });
    const uploadId = randomUUID();
    const ws = wsClient(t.graphqlUrl, token);
    const watching = collect(ws, UPLOAD_PROGRESS, { uploadId });
    let cut = false;
    const result = await tusUpload(photo, {
      endpoint: `http://127.0.0.1:${proxy.port}/uploads/`,
      headers: { authorization: `Bearer ${token}` },
      metadata: { filename: "train.jpg", uploadId },
      chunkSize: 48 * 1024,
      retryDelays: [50, 100, 200, 400, 800],
      onProgress(sent) {
        if (!cut && sent > photo.length / 2) {
          cut = true;
          // The tunnel goes dark for a moment, as on a train; every connection in it is reset.
          void proxy.cut().then(() => setTimeout(() => void proxy.restore(), 150));
        }
      },
    });
    await proxy.close();
    const { events } = await watching;
    await ws.dispose();
    expect(cut).toBe(true);
    expect(result.stagedImageId).toBeDefined();
    expectHonestProgress(events, photo.length);
    expect((await t.server.database.knex("images").where({ id: result.stagedImageId }).first()).sha256).toBe(sha256(photo));
  });

  it("refuses a file that is not an image in the PATCH that carries its first bytes, and removes what it had", async () => {
    const token = await t.token("tus-liar");
    const uploadId = randomUUID();
    const ws = wsClient(t.graphqlUrl, token);
    const watching = collect(ws, UPLOAD_PROGRESS, { uploadId });
    const notAnImage = Buffer.from("%PDF-1.7 this is a document, not a picture\n".repeat(4000));
    const failure = await tusUpload(notAnImage, {
      endpoint: `${t.url}/uploads/`,
      headers: { authorization: `Bearer ${token}` },
      metadata: { uploadId },
      chunkSize: 32 * 1024,
    }).catch((error: unknown) => error);
    const refused = refusalOf(failure);
    expect(refused.status).toBe(415);
    expect(refused.body).toMatchObject({ error: { code: "UNSUPPORTED_MEDIA_TYPE" } });
    const { events } = await watching;
    await ws.dispose();
    expect(events.at(-1).uploadProgress).toMatchObject({ phase: "FAILED", error: { code: "UNSUPPORTED_MEDIA_TYPE" } });
    expect(await storedUploads(t)).toEqual([]);
    expect(await t.server.database.knex("resumable_uploads").where({ owner_id: "tus-liar" })).toEqual([]);
  });

  it("refuses before any byte: over MAX_FILE_SIZE is 413, over the quota 403, each with the contract's code in JSON", async () => {
    const token = await t.token("tus-greedy");
    const create = (length: number) => createTusUpload(t.url, { token, length });
    const tooLarge = await create(5 * 1024 * 1024);
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ error: { code: "FILE_TOO_LARGE" } });

    // Two uploads of 3 MiB under way count whole: a third would pass the 8 MiB quota.
    for (let i = 0; i < 2; i++) expect((await create(3 * 1024 * 1024)).status).toBe(201);
    const overQuota = await create(3 * 1024 * 1024);
    expect(overQuota.status).toBe(403);
    expect(await overQuota.json()).toMatchObject({ error: { code: "QUOTA_EXCEEDED" } });

    // A deferred length is not offered: the limit and the quota need it first.
    const deferred = await fetch(`${t.url}/uploads/`, {
      method: "POST",
      headers: { "tus-resumable": "1.0.0", "upload-defer-length": "1", authorization: `Bearer ${token}` },
    });
    expect(deferred.status).toBeGreaterThanOrEqual(400);
    // An uploadId out of stageImage's bounds (here, with a space) is refused as it would be there.
    const badId = await fetch(`${t.url}/uploads/`, {
      method: "POST",
      headers: {
        "tus-resumable": "1.0.0",
        "upload-length": "100",
        "upload-metadata": `uploadId ${Buffer.from("two words").toString("base64")}`,
        authorization: `Bearer ${token}`,
      },
    });
    expect(badId.status).toBe(400);
    expect(await badId.json()).toMatchObject({ error: { code: "BAD_USER_INPUT" } });
    // Without a token: 401, before anything is made.
    const anonymous = await fetch(`${t.url}/uploads/`, { method: "POST", headers: { "tus-resumable": "1.0.0", "upload-length": "100" } });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
  });

  it("an upload is its owner's: anyone else gets 404 for it; its owner can terminate it, and its subscribers hear ABORTED", async () => {
    const [owner, other] = await Promise.all([t.token("tus-owner"), t.token("tus-other")]);
    const uploadId = randomUUID();
    const created = await fetch(`${t.url}/uploads/`, {
      method: "POST",
      headers: {
        "tus-resumable": "1.0.0",
        "upload-length": String(photo.length),
        "upload-metadata": `uploadId ${Buffer.from(uploadId).toString("base64")}`,
        authorization: `Bearer ${owner}`,
      },
    });
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get("location")!, t.url).href;
    const head = (token: string) =>
      fetch(location, { method: "HEAD", headers: { "tus-resumable": "1.0.0", authorization: `Bearer ${token}` } });
    const patch = (token: string) =>
      fetch(location, {
        method: "PATCH",
        headers: {
          "tus-resumable": "1.0.0",
          "upload-offset": "0",
          "content-type": "application/offset+octet-stream",
          authorization: `Bearer ${token}`,
        },
        body: photo.subarray(0, 1000),
      });
    expect((await head(other)).status).toBe(404);
    expect((await patch(other)).status).toBe(404);
    expect(
      (await fetch(location, { method: "DELETE", headers: { "tus-resumable": "1.0.0", authorization: `Bearer ${other}` } })).status,
    ).toBe(404);
    expect((await head(owner)).headers.get("upload-offset")).toBe("0");
    expect((await patch(owner)).headers.get("upload-offset")).toBe("1000");

    const ws = wsClient(t.graphqlUrl, owner);
    const watching = collect(ws, UPLOAD_PROGRESS, { uploadId });
    const terminated = await fetch(location, { method: "DELETE", headers: { "tus-resumable": "1.0.0", authorization: `Bearer ${owner}` } });
    expect(terminated.status).toBe(204);
    const { events } = await watching;
    await ws.dispose();
    expect(events.at(-1).uploadProgress).toMatchObject({ phase: "ABORTED", bytesReceived: 1000 });
    expect((await head(owner)).status).toBe(404);
    expect(await storedUploads(t)).not.toContain(path.basename(location));
  });

  it("expires incomplete uploads after RESUMABLE_TTL: the sweeper removes their parts, and the quota stops counting them", async () => {
    const token = await t.token("tus-forgetful");
    const create = (length: number) => createTusUpload(t.url, { token, length });
    const first = await create(4 * 1024 * 1024);
    expect(first.status).toBe(201);
    expect((await create(4 * 1024 * 1024)).status).toBe(201);
    expect((await create(1024 * 1024)).status).toBe(403);
    const id = path.basename(first.headers.get("location")!);
    // Its time passes.
    await expire(t.server.database.knex, "resumable_uploads", id);
    // A part no row names (a crash between the two), older than the TTL.
    const stray = path.join(t.dataDir, "resumable", "0123456789abcdef0123456789abcdef");
    await fs.writeFile(stray, "partial bytes");
    await fs.writeFile(
      `${stray}.json`,
      JSON.stringify({ id: path.basename(stray), size: 100, offset: 0, metadata: {}, creation_date: new Date(0).toISOString() }),
    );
    const old = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    await fs.utimes(`${stray}.json`, old, old);
    await t.server.sweeper.sweep();
    expect(await storedUploads(t)).not.toContain(id);
    expect(await storedUploads(t)).not.toContain(path.basename(stray));
    expect(await storedUploads(t)).not.toContain(`${path.basename(stray)}.json`);
    expect(await t.server.database.knex("resumable_uploads").where({ id })).toEqual([]);
    expect((await create(1024 * 1024)).status).toBe(201);
  });
});

describe("tus for browsers, S3 and busy users", () => {
  it("answers a preflight from another origin, and exposes the tus headers and Upstage-Staged-Image-Id", async () => {
    const t = await startTestServer();
    try {
      const preflight = await fetch(`${t.url}/uploads/`, {
        method: "OPTIONS",
        headers: {
          origin: "https://app.example",
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, upload-length, tus-resumable",
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBeTruthy();
      expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
      const created = await fetch(`${t.url}/uploads/`, {
        method: "POST",
        headers: {
          origin: "https://app.example",
          "tus-resumable": "1.0.0",
          "upload-length": "100",
          authorization: `Bearer ${await t.token("cors")}`,
        },
      });
      const exposed = (created.headers.get("access-control-expose-headers") ?? "").toLowerCase();
      for (const header of ["location", "upload-offset", "upload-length", "upstage-staged-image-id"]) expect(exposed).toContain(header);
    } finally {
      await t.stop();
    }
  });

  it("with STORAGE=s3 keeps the parts in RESUMABLE_DIR and the staged image in the bucket", async () => {
    const s3 = await startS3Server();
    const t = await startTestServer(s3.env);
    try {
      const photo = await scenery(900, 700);
      const result = await tusUpload(photo, {
        endpoint: `${t.url}/uploads/`,
        headers: { authorization: `Bearer ${await t.token("tus-s3")}` },
        chunkSize: 64 * 1024,
      });
      const image = await t.server.database.knex("images").where({ id: result.stagedImageId }).first();
      expect(image.sha256).toBe(sha256(photo));
      expect(await s3.keys()).toContain(image.storage_key);
    } finally {
      await t.stop();
      await s3.stop();
    }
  });

  it("a PATCH takes one of the user's MAX_CONCURRENT_UPLOADS places while it runs: one more is RATE_LIMITED (429)", async () => {
    const t = await startTestServer({ MAX_CONCURRENT_UPLOADS: "1" });
    try {
      const token = await t.token("tus-busy");
      const create = async () => {
        const created = await fetch(`${t.url}/uploads/`, {
          method: "POST",
          headers: { "tus-resumable": "1.0.0", "upload-length": "100000", authorization: `Bearer ${token}` },
        });
        return new URL(created.headers.get("location")!, t.url);
      };
      const [first, second] = [await create(), await create()];
      // The first PATCH's body comes slowly: it holds its place until it ends.
      const held = http.request(first, {
        method: "PATCH",
        headers: {
          "tus-resumable": "1.0.0",
          "upload-offset": "0",
          "content-type": "application/offset+octet-stream",
          "content-length": "1000",
          authorization: `Bearer ${token}`,
        },
      });
      const answered = new Promise<number>((resolve) => held.on("response", (response) => resolve(response.statusCode!)));
      held.write((await jpeg(64, 64)).subarray(0, 500));
      // Its first bytes are on disk: it is in flight.
      const part = path.join(t.dataDir, "resumable", path.basename(first.pathname));
      await waitFor(async () => (await fs.stat(part)).size >= 500, "the first PATCH's bytes are stored");
      const busy = await fetch(second, {
        method: "PATCH",
        headers: {
          "tus-resumable": "1.0.0",
          "upload-offset": "0",
          "content-type": "application/offset+octet-stream",
          authorization: `Bearer ${token}`,
        },
        body: await jpeg(32, 32),
      });
      expect(busy.status).toBe(429);
      expect(await busy.json()).toMatchObject({ error: { code: "RATE_LIMITED" } });
      held.end(Buffer.alloc(500));
      expect(await answered).toBe(204);
    } finally {
      await t.stop();
    }
  });
});

describe("a tus upload across a restart", () => {
  it("resumes on the restarted server where the first one stopped, and stages the right bytes", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "upstage-tus-restart-"));
    const database = process.env["DATABASE_URL"] ? await createTestDatabase(process.env["DATABASE_URL"]) : undefined;
    if (!database) await seedEmbeddedDatabase(dataDir);
    const env = { DATA_DIR: dataDir, ...(database ? { DATABASE_URL: database.url } : {}) };
    try {
      const photo = await scenery(1500, 1100);
      const first = await startTestServer(env);
      const token = await first.token("tus-restart");
      // Half the file, then the client stops and the server goes down.
      const uploadUrl = await uploadHalf(photo, {
        endpoint: `${first.url}/uploads/`,
        headers: { authorization: `Bearer ${token}` },
        chunkSize: 32 * 1024,
      });
      expect(uploadUrl).not.toBe("");
      await first.stop();

      const second = await startTestServer(env);
      try {
        const id = path.basename(uploadUrl);
        const stored = await fs.stat(path.join(dataDir, "resumable", id));
        expect(stored.size).toBeGreaterThan(photo.length / 2);
        expect(stored.size).toBeLessThan(photo.length);
        const result = await tusUpload(photo, {
          uploadUrl: `${second.url}/uploads/${id}`,
          headers: { authorization: `Bearer ${await second.token("tus-restart")}` },
          chunkSize: 32 * 1024,
        });
        expect(result.stagedImageId).toBeDefined();
        expect((await second.server.database.knex("images").where({ id: result.stagedImageId }).first()).sha256).toBe(sha256(photo));
      } finally {
        await second.stop();
      }
    } finally {
      await database?.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});

const adminUrl = process.env["DATABASE_URL"];
const redisUrl = process.env["REDIS_URL"];

// Runs in the suite's PostgreSQL pass, where both servers are set (.ci/run starts them).
describeWhen(
  !adminUrl || !redisUrl ? "DATABASE_URL and REDIS_URL (a PostgreSQL and a Redis to share; CI sets both)" : undefined,
  "tus over two instances (PostgreSQL, Redis, a shared RESUMABLE_DIR)",
  {},
  () => {
    it("an upload started on one instance resumes on the other", async () => {
      const database = await createTestDatabase(adminUrl!);
      const shared = await fs.mkdtemp(path.join(os.tmpdir(), "upstage-tus-shared-"));
      const env = {
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl!,
        AUTH_SECRET: "a-shared-secret-for-both-instances-of-this-test",
        RESUMABLE_DIR: shared,
      };
      const a = await startTestServer(env);
      const b = await startTestServer(env);
      try {
        const photo = await scenery(1300, 900);
        const token = await a.token("tus-roamer");
        const uploadId = randomUUID();
        // Subscribed on B, while A receives the first half: the bus carries it across.
        const ws = wsClient(b.graphqlUrl, token);
        const watching = collect(ws, UPLOAD_PROGRESS, { uploadId });
        const uploadUrl = await uploadHalf(photo, {
          endpoint: `${a.url}/uploads/`,
          headers: { authorization: `Bearer ${token}` },
          metadata: { uploadId },
          chunkSize: 32 * 1024,
        });
        const id = path.basename(uploadUrl);
        const result = await tusUpload(photo, {
          uploadUrl: `${b.url}/uploads/${id}`,
          headers: { authorization: `Bearer ${token}` },
          chunkSize: 32 * 1024,
        });
        const { events } = await watching;
        await ws.dispose();
        expect((await b.server.database.knex("images").where({ id: result.stagedImageId }).first()).sha256).toBe(sha256(photo));
        expectHonestProgress(events, photo.length);
        await waitFor(async () => (await fs.readdir(shared)).length === 0, "the shared directory is empty");
      } finally {
        await a.stop();
        await b.stop();
        await database.drop();
        await fs.rm(shared, { recursive: true, force: true });
      }
    });

    it("two instances never hold one upload's lock at once: the later asks the holder to let go, and gets it when it does", async () => {
      const [first, second] = await Promise.all([createRedisLocker(redisUrl!), createRedisLocker(redisUrl!)]);
      try {
        const id = randomUUID();
        const held = first.newLock(id);
        let askedToRelease = 0;
        await held.lock(new AbortController().signal, () => {
          askedToRelease++;
          void held.unlock();
        });
        const later = second.newLock(id);
        await later.lock(new AbortController().signal, () => undefined);
        expect(askedToRelease).toBeGreaterThan(0);
        // Held by `later` now: a third try, that will not wait, fails.
        const third = first.newLock(id);
        const stop = new AbortController();
        stop.abort();
        await expect(third.lock(stop.signal, () => undefined)).rejects.toBeDefined();
        await later.unlock();
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    });
  },
);
