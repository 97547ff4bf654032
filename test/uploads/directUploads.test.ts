// The direct door (STORAGE=s3): the bytes go to the bucket with a presigned
// PUT, and come back through the same admission, chain and finisher as any
// upload's. Against s3rver, a real S3-compatible server.

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { stageImageWithProgress, type UpstageRequestError } from "../../src/client/index.js";
import { cancelDirect, createDirect, putToBucket, stageDirect, uploadDirect } from "../helpers/directUpload.js";
import { expire } from "../helpers/expire.js";
import { errorCode, graphql, stageFile } from "../helpers/graphqlClient.js";
import { createHourlyCap } from "../helpers/hourlyCap.js";
import { jpeg, pngDeclaring, scenery } from "../helpers/images.js";
import { neighbourUpload } from "../helpers/neighbourUpload.js";
import { DISCARD } from "../helpers/operations.js";
import { startS3Server, type TestS3Server } from "../helpers/s3Server.js";
import { createScanner, MARKER, SCANNED } from "../helpers/scanner.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { collect, UPLOAD_PROGRESS, wsClient } from "../helpers/subscribe.js";
import { waitFor } from "../helpers/waitFor.js";

const UPLOAD_OPTIONS = /* GraphQL */ `
  query { uploadOptions { maxFileSize acceptedFormats multipart resumable resumableEndpoint direct maxConcurrentUploads } }
`;

const quarantined = async (s3: TestS3Server) => (await s3.keys()).filter((key) => key.startsWith("quarantine/"));

describe("direct uploads to the bucket", () => {
  let s3: TestS3Server;
  let t: TestServer;
  let photo: Buffer;
  beforeAll(async () => {
    s3 = await startS3Server();
    [t, photo] = await Promise.all([
      startTestServer(
        {
          ...s3.env,
          MAX_CONCURRENT_UPLOADS: "3",
          QUOTA_BYTES: String(2_000_000),
          UPLOAD_HANDLERS: "hourly-cap,scanner,limit,sniff,quota,hash,store",
        },
        { uploadHandlers: { scanner: createScanner, "hourly-cap": createHourlyCap(6) } },
      ),
      scenery(640, 480),
    ]);
  });
  afterAll(async () => {
    await t?.stop();
    await s3?.stop();
  });

  it("says which doors it has", async () => {
    const { body } = await graphql(t.graphqlUrl, UPLOAD_OPTIONS);
    expect(body.data!.uploadOptions).toMatchObject({
      multipart: true,
      resumable: true,
      direct: true,
      maxFileSize: 20 * 1024 * 1024,
      maxConcurrentUploads: 3,
    });
    expect(body.data!.uploadOptions.acceptedFormats).toContain("image/jpeg");
    expect(body.data!.uploadOptions.resumableEndpoint).toBe(`${t.url}/uploads/`);
  });

  it("creates, sends to the bucket, stages through the chain with every phase pushed, and leaves nothing in quarantine", async () => {
    const token = await t.token("direct-flow");
    const uploadId = randomUUID();
    const ws = wsClient(t.graphqlUrl, token);
    const watching = collect(ws, UPLOAD_PROGRESS, { uploadId });
    await t.subscribed(uploadId);

    const created = await createDirect(t.graphqlUrl, token, { byteSize: photo.length, uploadId });
    expect(created.body.errors).toBeUndefined();
    const upload = created.body.data!.createDirectUpload;
    expect(upload.method).toBe("PUT");
    expect(new URL(upload.url).origin).toBe(s3.endpoint);
    // The signature binds the size: the bucket refuses any other.
    expect(new URL(upload.url).searchParams.get("X-Amz-SignedHeaders")).toContain("content-length");
    expect(Date.parse(upload.expiresAt)).toBeGreaterThan(Date.now());

    expect((await putToBucket(upload, photo)).status).toBe(200);
    expect(await quarantined(s3)).toHaveLength(1);
    const staged = await stageDirect(t.graphqlUrl, token, upload.id, uploadId);
    expect(staged.body.errors).toBeUndefined();
    const image = staged.body.data!.stageDirectUpload.image;
    expect(image).toMatchObject({ width: 640, height: 480, contentType: "image/jpeg" });
    expect((await fetch(image.url)).status).toBe(200);

    const { events } = await watching;
    const phases = events.map((event) => event.uploadProgress.phase);
    expect(phases[0]).toBe("RECEIVING");
    expect(phases.slice(-2)).toEqual(["PROCESSING", "READY"]);
    expect(events.at(-1).uploadProgress.stagedImage.id).toBe(staged.body.data!.stageDirectUpload.id);
    await ws.dispose();

    expect(await quarantined(s3)).toEqual([]);
    // Staging it again answers the same staged image, and makes no second one.
    const again = await stageDirect(t.graphqlUrl, token, upload.id);
    expect(again.body.data!.stageDirectUpload.id).toBe(staged.body.data!.stageDirectUpload.id);
    expect(await t.server.database.knex("images").where({ owner_id: "direct-flow" })).toHaveLength(1);
  });

  it("belongs to its creator: anyone else is told NOT_FOUND, as for an id that does not exist", async () => {
    const owner = await t.token("direct-owner");
    const other = await t.token("direct-other");
    const upload = (await createDirect(t.graphqlUrl, owner, { byteSize: photo.length })).body.data!.createDirectUpload;
    await putToBucket(upload, photo);
    expect(errorCode(await stageDirect(t.graphqlUrl, other, upload.id))).toBe("NOT_FOUND");
    expect(errorCode(await cancelDirect(t.graphqlUrl, other, upload.id))).toBe("NOT_FOUND");
    expect(errorCode(await stageDirect(t.graphqlUrl, other, randomUUID()))).toBe("NOT_FOUND");
    expect(errorCode(await stageDirect(t.graphqlUrl, other, "not-an-id"))).toBe("NOT_FOUND");
    expect(errorCode(await stageDirect(t.graphqlUrl, owner, upload.id))).toBeUndefined();
  });

  it("staged before the bytes arrive: NOT_FOUND, and the upload waits for them", async () => {
    const token = await t.token("direct-early");
    const upload = (await createDirect(t.graphqlUrl, token, { byteSize: photo.length })).body.data!.createDirectUpload;
    const early = await stageDirect(t.graphqlUrl, token, upload.id);
    expect(errorCode(early)).toBe("NOT_FOUND");
    expect(early.body.errors![0]!.message).toMatch(/PUT the file/);
    await putToBucket(upload, photo);
    expect(errorCode(await stageDirect(t.graphqlUrl, token, upload.id))).toBeUndefined();
  });

  it("reads back what is really in the bucket: an object replaced by a non-image of the same size fails as over multipart, and leaves nothing", async () => {
    const token = await t.token("direct-replaced");
    const upload = (await createDirect(t.graphqlUrl, token, { byteSize: photo.length })).body.data!.createDirectUpload;
    await putToBucket(upload, photo);
    const text = Buffer.alloc(photo.length, "not an image. ");
    expect((await putToBucket(upload, text)).status).toBe(200);
    const refused = await stageDirect(t.graphqlUrl, token, upload.id);
    expect(errorCode(refused)).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(await quarantined(s3)).toEqual([]);
    expect(await t.server.database.knex("direct_uploads").where({ owner_id: "direct-replaced" })).toEqual([]);
    expect(await t.server.database.knex("images").where({ owner_id: "direct-replaced" })).toEqual([]);
    // Ended: staging it again finds nothing.
    expect(errorCode(await stageDirect(t.graphqlUrl, token, upload.id))).toBe("NOT_FOUND");
  });

  it("a custom scanner sees the bytes read back, and a pixel bomb fails with the same code as over multipart", async () => {
    const token = await t.token("direct-scanned");
    const marked = Buffer.concat([photo, Buffer.alloc(10_000), MARKER]);
    const scanned = await uploadDirect(t.graphqlUrl, token, marked);
    expect(errorCode(scanned)).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(scanned.body.errors![0]!.message).toBe(SCANNED);
    const bomb = pngDeclaring(30_000, 30_000);
    const overMultipart = await stageFile(t.graphqlUrl, bomb, { token, contentType: "image/png", filename: "bomb.png" });
    expect(errorCode(await uploadDirect(t.graphqlUrl, token, bomb))).toBe(errorCode(overMultipart));
    expect(await quarantined(s3)).toEqual([]);
    expect(await t.server.database.knex("images").where({ owner_id: "direct-scanned" })).toEqual([]);
    expect(await t.files()).toEqual([]);
  });

  it("refuses at creation what admission refuses: too large, not an image's type, no size", async () => {
    const token = await t.token("direct-refused");
    expect(errorCode(await createDirect(t.graphqlUrl, token, { byteSize: 20 * 1024 * 1024 + 1 }))).toBe("FILE_TOO_LARGE");
    expect(errorCode(await createDirect(t.graphqlUrl, token, { byteSize: 1000, contentType: "text/html" }))).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(errorCode(await createDirect(t.graphqlUrl, token, { byteSize: 0 }))).toBe("BAD_USER_INPUT");
    expect(errorCode(await createDirect(t.graphqlUrl, token, { byteSize: 1000, uploadId: "has spaces" }))).toBe("BAD_USER_INPUT");
    expect(await t.server.database.knex("direct_uploads").where({ owner_id: "direct-refused" })).toEqual([]);
  });

  it("under a burst of creations, the quota and the places hold: reserved at creation, released by a cancel", async () => {
    const token = await t.token("direct-burst");
    // 2 MB of quota: three 600 kB creations fit, and three places (MAX_CONCURRENT_UPLOADS); eight at once.
    const answers = await Promise.all(Array.from({ length: 8 }, () => createDirect(t.graphqlUrl, token, { byteSize: 600_000 })));
    const created = answers.filter((answer) => !answer.body.errors);
    expect(created).toHaveLength(3);
    expect(new Set(answers.filter((answer) => answer.body.errors).map(errorCode))).toEqual(new Set(["QUOTA_EXCEEDED"]));
    // The fourth place is taken by none: a multipart upload that would pass the quota is refused too.
    const big = await scenery(1600, 1200);
    expect(errorCode(await stageFile(t.graphqlUrl, Buffer.concat([big, Buffer.alloc(300_000)]), { token }))).toBe("QUOTA_EXCEEDED");
    const small = await createDirect(t.graphqlUrl, token, { byteSize: 1000 });
    expect(errorCode(small)).toBe("RATE_LIMITED");

    const uploadId = randomUUID();
    const first = created[0]!.body.data!.createDirectUpload;
    const ws = wsClient(t.graphqlUrl, token);
    const watching = collect(ws, UPLOAD_PROGRESS, { uploadId: first.id });
    await t.subscribed(first.id);
    expect((await cancelDirect(t.graphqlUrl, token, first.id)).body.data!.cancelDirectUpload).toBe(true);
    expect((await watching).events.at(-1).uploadProgress.phase).toBe("ABORTED");
    await ws.dispose();
    // Its place and its bytes are free again.
    expect(errorCode(await createDirect(t.graphqlUrl, token, { byteSize: 600_000, uploadId }))).toBeUndefined();
    expect(errorCode(await stageDirect(t.graphqlUrl, token, first.id))).toBe("NOT_FOUND");
  });

  it("two stages of one upload at once make one image: the other answers the same image or says it is in progress", async () => {
    const token = await t.token("direct-twice");
    const upload = (await createDirect(t.graphqlUrl, token, { byteSize: photo.length })).body.data!.createDirectUpload;
    await putToBucket(upload, photo);
    const answers = await Promise.all([1, 2, 3].map(() => stageDirect(t.graphqlUrl, token, upload.id)));
    const staged = answers.filter((answer) => !answer.body.errors).map((answer) => answer.body.data!.stageDirectUpload.id);
    expect(staged.length).toBeGreaterThanOrEqual(1);
    expect(new Set(staged).size).toBe(1);
    for (const answer of answers.filter((answer) => answer.body.errors)) expect(errorCode(answer)).toBe("UPLOAD_IN_PROGRESS");
    expect(await t.server.database.knex("images").where({ owner_id: "direct-twice" })).toHaveLength(1);
  });

  it("a staged direct upload holds nothing: once its image is discarded and swept, every place is free, and staging it again is NOT_FOUND", async () => {
    const token = await t.token("direct-discarded");
    const staged = await uploadDirect(t.graphqlUrl, token, photo);
    const { id: stagedId } = staged.body.data!.stageDirectUpload;
    const upload = await t.server.database.knex("direct_uploads").where({ owner_id: "direct-discarded" }).first();
    expect((await graphql(t.graphqlUrl, DISCARD, { id: stagedId }, token)).body.errors).toBeUndefined();
    await t.server.sweeper.sweep();
    const answers = await Promise.all([1, 2, 3].map(() => createDirect(t.graphqlUrl, token, { byteSize: 100_000 })));
    expect(answers.map(errorCode)).toEqual([undefined, undefined, undefined]);
    expect(errorCode(await stageDirect(t.graphqlUrl, token, upload.id))).toBe("NOT_FOUND");
  });

  it("an upload never staged is gone after its time, object, row and reservations, and then says UPLOAD_EXPIRED or NOT_FOUND", async () => {
    const token = await t.token("direct-expired");
    const upload = (await createDirect(t.graphqlUrl, token, { byteSize: photo.length })).body.data!.createDirectUpload;
    await putToBucket(upload, photo);
    const { knex } = t.server.database;
    await expire(knex, "direct_uploads", upload.id);
    expect(errorCode(await stageDirect(t.graphqlUrl, token, upload.id))).toBe("UPLOAD_EXPIRED");
    await t.server.sweeper.sweep();
    expect(await quarantined(s3)).toEqual([]);
    expect(await knex("direct_uploads").where({ owner_id: "direct-expired" })).toEqual([]);
    expect(errorCode(await stageDirect(t.graphqlUrl, token, upload.id))).toBe("NOT_FOUND");
  });
});

describe("direct uploads without S3", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.stop());

  it("are refused with a code that says they need STORAGE=s3, and uploadOptions says so first", async () => {
    const { body } = await graphql(t.graphqlUrl, UPLOAD_OPTIONS);
    expect(body.data!.uploadOptions).toMatchObject({ direct: false, multipart: true, resumable: true });
    const token = await t.token("direct-local");
    const refused = await createDirect(t.graphqlUrl, token, { byteSize: 1000 });
    expect(errorCode(refused)).toBe("DIRECT_UPLOADS_UNAVAILABLE");
    expect(refused.body.errors![0]!.message).toMatch(/STORAGE=s3/);
    expect(errorCode(await stageDirect(t.graphqlUrl, token, randomUUID()))).toBe("DIRECT_UPLOADS_UNAVAILABLE");
    expect(errorCode(await createDirect(t.graphqlUrl, "", { byteSize: 1000 }))).toBe("UNAUTHENTICATED");
  });
});

describe("a direct upload's size, bound by the signature", () => {
  let s3: TestS3Server;
  let t: TestServer;
  beforeAll(async () => {
    s3 = await startS3Server("upstage-strict", { strictSignatures: true });
    t = await startTestServer(s3.env);
  });
  afterAll(async () => {
    await t?.stop();
    await s3?.stop();
  });

  it("the bucket refuses a body of more bytes than declared, and of fewer; the declared size goes in", async () => {
    const token = await t.token("direct-signed");
    const file = await jpeg(200, 150);
    const upload = (await createDirect(t.graphqlUrl, token, { byteSize: file.length })).body.data!.createDirectUpload;
    const more = await putToBucket(upload, Buffer.concat([file, Buffer.alloc(1000)]));
    expect(more.status).toBe(403);
    expect(more.body).toContain("SignatureDoesNotMatch");
    expect((await putToBucket(upload, file.subarray(0, file.length - 10))).status).toBe(403);
    // Nothing landed (a listing is bucket-level, which strict s3rver refuses of the SDK).
    expect(errorCode(await stageDirect(t.graphqlUrl, token, upload.id))).toBe("NOT_FOUND");
    expect((await putToBucket(upload, file)).status).toBe(200);
    expect(errorCode(await stageDirect(t.graphqlUrl, token, upload.id))).toBeUndefined();
  });
});

describe("a direct upload's URL, past its time", () => {
  let s3: TestS3Server;
  let t: TestServer;
  beforeAll(async () => {
    s3 = await startS3Server("upstage-expiring");
    t = await startTestServer({ ...s3.env, DIRECT_UPLOAD_TTL: "1" });
  });
  afterAll(async () => {
    await t?.stop();
    await s3?.stop();
  });

  it("is refused by the bucket itself, and the helper says UPLOAD_EXPIRED; staging then finds nothing sent (NOT_FOUND)", async () => {
    const token = await t.token("direct-late");
    const file = await jpeg(120, 90);
    const upload = (await createDirect(t.graphqlUrl, token, { byteSize: file.length })).body.data!.createDirectUpload;
    // Presigned URLs count whole seconds from their signing: wait past the second after expiresAt.
    await waitFor(() => Date.now() > Date.parse(upload.expiresAt) + 1000, "the URL's time has passed", 5000);
    const late = await putToBucket(upload, file);
    expect(late.status).toBe(403);
    expect(late.body).toMatch(/expired/i);
    const helper = await stageImageWithProgress(new Blob([file], { type: "image/jpeg" }), {
      endpoint: t.graphqlUrl,
      token,
      direct: true,
      webSocketImpl: WebSocket,
      // The helper's own creation: its URL lapses before the PUT, as a stalled phone's would.
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (typeof init?.body === "string" && init.body.includes("createDirectUpload")) {
          const body = await response.text();
          const { expiresAt } = JSON.parse(body).data.createDirectUpload;
          await waitFor(() => Date.now() > Date.parse(expiresAt) + 1000, "the helper's URL has lapsed", 5000);
          return new Response(body, response);
        }
        return response;
      },
      settleMs: 200,
    }).catch((error: unknown) => error);
    expect((helper as UpstageRequestError).code).toBe("UPLOAD_EXPIRED");
    expect(errorCode(await stageDirect(t.graphqlUrl, token, upload.id))).toBe("NOT_FOUND");
    // The helper gave its upload up: only the first is still open.
    expect(await t.server.database.knex("direct_uploads").where({ owner_id: "direct-late" })).toHaveLength(1);
  });
});

describe("direct upload limits under a burst, on a cold and on a busy server", () => {
  let s3: TestS3Server;
  let t: TestServer;
  beforeAll(async () => {
    s3 = await startS3Server("upstage-direct-burst");
    // Started fresh: the first case's burst is the server's first work.
    t = await startTestServer({ ...s3.env, MAX_CONCURRENT_UPLOADS: "3", QUOTA_BYTES: String(2_000_000) });
  });
  afterAll(async () => {
    await t?.stop();
    await s3?.stop();
  });

  it.each([
    ["a cold server", "cold"],
    ["a busy server", "busy"],
  ])(
    "on %s, of ten creations at once only what the places and the quota hold is made, and of three stages of one upload one stages it",
    async (where, name) => {
      // Busy: another user's slow multipart upload is in flight through the burst.
      const neighbour = await neighbourUpload(t, where === "a busy server", `direct-${name}-neighbour`);
      const token = await t.token(`direct-${name}`);
      // Three places; 2 MB of quota holds three 600 kB uploads: ten at once.
      const answers = await Promise.all(Array.from({ length: 10 }, () => createDirect(t.graphqlUrl, token, { byteSize: 600_000 })));
      expect(answers.filter((answer) => !answer.body.errors)).toHaveLength(3);
      const held = await t.server.database.knex("direct_uploads").where({ owner_id: `direct-${name}` });
      expect(held).toHaveLength(3);
      expect(held.reduce((sum: number, row: { byte_length: string | number }) => sum + Number(row.byte_length), 0)).toBeLessThanOrEqual(
        2_000_000,
      );
      for (const refused of answers.filter((answer) => answer.body.errors))
        expect(["QUOTA_EXCEEDED", "RATE_LIMITED"]).toContain(errorCode(refused));

      // One of them, sent and staged three times at once: one image.
      const photo = await jpeg(640, 480);
      await Promise.all(
        answers
          .filter((answer) => !answer.body.errors)
          .map((answer) => cancelDirect(t.graphqlUrl, token, answer.body.data!.createDirectUpload.id)),
      );
      const upload = (await createDirect(t.graphqlUrl, token, { byteSize: photo.length })).body.data!.createDirectUpload;
      await putToBucket(upload, photo);
      const stages = await Promise.all([1, 2, 3].map(() => stageDirect(t.graphqlUrl, token, upload.id)));
      const images = new Set(stages.filter((answer) => !answer.body.errors).map((answer) => answer.body.data!.stageDirectUpload.id));
      expect(images.size).toBe(1);
      for (const answer of stages.filter((answer) => answer.body.errors)) expect(errorCode(answer)).toBe("UPLOAD_IN_PROGRESS");
      expect(await t.server.database.knex("images").where({ owner_id: `direct-${name}` })).toHaveLength(1);
      expect((await neighbour.done)?.status ?? 200).toBe(200);
    },
  );
});
