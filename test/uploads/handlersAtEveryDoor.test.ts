// An application's handlers, registered through upstage/server, act on every
// upload whatever its door: multipart, and tus across PATCHes, a cut
// connection and a restart between PATCHes.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanedAfterEach } from "../helpers/cleanedAfterEach.js";
import { errorCode, stageFile } from "../helpers/graphqlClient.js";
import { createHourlyCap } from "../helpers/hourlyCap.js";
import { jpeg, scenery } from "../helpers/images.js";
import { createScanner, MARKER, SCANNED } from "../helpers/scanner.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { collect, UPLOAD_PROGRESS, wsClient } from "../helpers/subscribe.js";
import { createTestDatabase } from "../helpers/testDatabases.js";
import { refusalOf, tusUpload, uploadHalf } from "../helpers/tus.js";

const HANDLERS = "hourly-cap,scanner,limit,sniff,quota,hash,store";
const CHUNK = 16 * 1024;

/**
 * A valid JPEG with zeros after it and MARKER among them, placed across the
 * boundary where `uploadHalf` stops (the first multiple of CHUNK past half),
 * so no single request carries the whole marker.
 */
function markedAcrossTheHalf(photo: Buffer): Buffer {
  const length = photo.length * 3;
  const boundary = (Math.floor(length / 2 / CHUNK) + 1) * CHUNK;
  const file = Buffer.alloc(length);
  photo.copy(file);
  MARKER.copy(file, boundary - 5);
  return file;
}

describe("an application's handlers at both doors", () => {
  let t: TestServer;
  let photo: Buffer;
  beforeAll(async () => {
    [t, photo] = await Promise.all([
      startTestServer({ UPLOAD_HANDLERS: HANDLERS }, { uploadHandlers: { scanner: createScanner, "hourly-cap": createHourlyCap(2) } }),
      scenery(400, 300),
    ]);
  });
  afterAll(() => t?.stop());

  it("the scanner refuses a marked file over multipart and over tus, with its code, and nothing is staged or left", async () => {
    const marked = markedAcrossTheHalf(photo);
    const overMultipart = await stageFile(t.graphqlUrl, marked, { token: await t.token("scanned-multipart") });
    expect(errorCode(overMultipart)).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(overMultipart.body.errors![0]!.message).toBe(SCANNED);

    const token = await t.token("scanned-tus");
    const uploadId = randomUUID();
    const ws = wsClient(t.graphqlUrl, token);
    const watching = collect(ws, UPLOAD_PROGRESS, { uploadId });
    await t.subscribed(uploadId);
    const failure = await tusUpload(marked, {
      endpoint: `${t.url}/uploads/`,
      headers: { authorization: `Bearer ${token}` },
      metadata: { filename: "marked.jpg", uploadId },
      chunkSize: CHUNK,
    }).catch((error: unknown) => error);
    expect(refusalOf(failure)).toMatchObject({ status: 415, body: { error: { code: "UNSUPPORTED_MEDIA_TYPE", message: SCANNED } } });
    const { events } = await watching;
    await ws.dispose();
    expect(events.at(-1).uploadProgress).toMatchObject({ phase: "FAILED", error: { code: "UNSUPPORTED_MEDIA_TYPE", message: SCANNED } });
    // It was refused in the request that completed the marker, not at the end.
    expect(events.at(-1).uploadProgress.bytesReceived).toBeLessThan(marked.length);

    const { knex } = t.server.database;
    expect(await knex("images").whereIn("owner_id", ["scanned-multipart", "scanned-tus"])).toEqual([]);
    expect(await knex("resumable_uploads").whereIn("owner_id", ["scanned-multipart", "scanned-tus"])).toEqual([]);
  });

  it("the hourly cap counts a tus upload once, however many requests and resumes it takes, and refuses the one past the cap at either door", async () => {
    const token = await t.token("capped");
    const headers = { authorization: `Bearer ${token}` };
    // The first upload: half, the client goes away, then it resumes in more PATCHes.
    const uploadUrl = await uploadHalf(photo, { endpoint: `${t.url}/uploads/`, headers, chunkSize: 8 * 1024 });
    const resumed = await tusUpload(photo, { uploadUrl, headers, chunkSize: 8 * 1024 });
    expect(resumed.stagedImageId).toBeDefined();
    // The second, over multipart.
    expect((await stageFile(t.graphqlUrl, await jpeg(64, 64), { token })).body.errors).toBeUndefined();
    // The third is past the cap: refused at its creation over tus, before its body, and over multipart.
    const third = await tusUpload(await jpeg(32, 32), { endpoint: `${t.url}/uploads/`, headers }).catch((error: unknown) => error);
    expect(refusalOf(third)).toMatchObject({
      status: 403,
      body: { error: { code: "QUOTA_EXCEEDED", message: "At most 2 uploads an hour; try again later." } },
    });
    expect(errorCode(await stageFile(t.graphqlUrl, await jpeg(32, 32), { token }))).toBe("QUOTA_EXCEEDED");
    expect(await t.server.database.knex("resumable_uploads").where({ owner_id: "capped" })).toEqual([]);
  });
});

describe("an application's handler across a restart between tus requests", () => {
  const leftovers = cleanedAfterEach();

  it("the restarted server's scanner sees the stored bytes again, and refuses the marker the resumed request completes", async () => {
    const dataDir = await leftovers.dataDir("scan-restart");
    const adminUrl = process.env["DATABASE_URL"];
    const database = adminUrl ? await createTestDatabase(adminUrl) : undefined;
    if (database) leftovers.later(() => database.drop());
    const env = { DATA_DIR: dataDir, UPLOAD_HANDLERS: HANDLERS, ...(database ? { DATABASE_URL: database.url } : {}) };
    const overrides = { uploadHandlers: { scanner: createScanner, "hourly-cap": createHourlyCap(5) } };
    const marked = markedAcrossTheHalf(await scenery(400, 300));

    const first = await startTestServer(env, overrides);
    const token = await first.token("scan-restart");
    const uploadUrl = await uploadHalf(marked, {
      endpoint: `${first.url}/uploads/`,
      headers: { authorization: `Bearer ${token}` },
      chunkSize: CHUNK,
    });
    await first.stop();

    const second = await startTestServer(env, overrides);
    try {
      const id = uploadUrl.slice(uploadUrl.lastIndexOf("/") + 1);
      const failure = await tusUpload(marked, {
        uploadUrl: `${second.url}/uploads/${id}`,
        headers: { authorization: `Bearer ${await second.token("scan-restart")}` },
        chunkSize: CHUNK,
      }).catch((error: unknown) => error);
      expect(refusalOf(failure)).toMatchObject({ status: 415, body: { error: { code: "UNSUPPORTED_MEDIA_TYPE", message: SCANNED } } });
      expect(await second.server.database.knex("images").where({ owner_id: "scan-restart" })).toEqual([]);
      expect(await second.server.database.knex("resumable_uploads").where({ owner_id: "scan-restart" })).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});
