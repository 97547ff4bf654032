// Three server processes over one PostgreSQL, one Redis and one S3-compatible
// store: nothing lands where it started, and nothing is lost.

import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { mintToken } from "../../src/auth/mintToken.js";
import { SingleRunnerJob } from "../../src/db/withSingleRunner.js";
import { describeWhen } from "../helpers/describeWhen.js";
import { createDirect, putToBucket, stageDirect } from "../helpers/directUpload.js";
import { graphql } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { metricValue } from "../helpers/metricValue.js";
import { COMMIT_PROFILE } from "../helpers/operations.js";
import { rawUpload } from "../helpers/rawUpload.js";
import { startS3Server, type TestS3Server } from "../helpers/s3Server.js";
import { type ServerProcess, spawnServer } from "../helpers/spawnServer.js";
import { collect, UPLOAD_PROGRESS, wsClient } from "../helpers/subscribe.js";
import { createTestDatabase } from "../helpers/testDatabases.js";
import { createTusUpload } from "../helpers/tus.js";
import { waitFor } from "../helpers/waitFor.js";

const adminUrl = process.env["DATABASE_URL"];
const redisUrl = process.env["REDIS_URL"];
const SECRET = "a-shared-secret-for-every-instance-of-this-test";

const AVATAR = /* GraphQL */ `
  query { viewer { avatar { id url thumbnail(width: 80, height: 80) { url } } } }
`;

// Runs in the suite's PostgreSQL pass, where both servers are set (.ci/run starts them).
describeWhen(
  !adminUrl || !redisUrl ? "DATABASE_URL and REDIS_URL (a PostgreSQL and a Redis to share; CI sets both)" : undefined,
  "three instances over PostgreSQL, Redis and S3",
  {},
  () => {
    let s3: TestS3Server;
    let database: { url: string; drop(): Promise<void> };
    const instances: ServerProcess[] = [];
    const dataDirs: string[] = [];

    async function instance(extra: Record<string, string> = {}): Promise<ServerProcess> {
      const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "upstage-instance-"));
      dataDirs.push(dataDir);
      const server = await spawnServer({
        ...s3.env,
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl!,
        AUTH_SECRET: SECRET,
        DATA_DIR: dataDir,
        SWEEP_INTERVAL: "1",
        // "upload watched" is at debug.
        LOG_LEVEL: "debug",
        ...extra,
      });
      instances.push(server);
      return server;
    }

    const token = (username: string) => mintToken(new TextEncoder().encode(SECRET), username);

    async function keys(): Promise<string[]> {
      return s3.keys();
    }

    beforeAll(async () => {
      [s3, database] = await Promise.all([startS3Server(), createTestDatabase(adminUrl!)]);
      // The first one migrates; the others start together.
      await instance();
      await Promise.all([instance(), instance()]);
    }, 120_000);

    afterAll(async () => {
      await Promise.all(
        instances.map(async (server) => {
          server.child.kill("SIGTERM");
          await server.exited;
        }),
      );
      await s3?.stop();
      await database?.drop();
      await Promise.all(dataDirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
    });

    it("subscribe on A, upload to B, commit on C, thumbnails on A and C at once, read on any", async () => {
      const [a, b, c] = instances as [ServerProcess, ServerProcess, ServerProcess];
      const bearer = await token("everywhere");
      const uploadId = randomUUID();
      const client = wsClient(a.graphqlUrl, bearer);
      const watching = collect(client, UPLOAD_PROGRESS, { uploadId });
      // Once A has Redis's word for the channel, it hears every event B publishes.
      await a.logged((entry) => entry["msg"] === "upload watched" && entry["uploadId"] === uploadId, "that A watches the upload");

      const upload = await rawUpload(b.graphqlUrl, await jpeg(600, 400), { token: bearer, uploadId, chunkSize: 16 * 1024, delayMs: 2 });
      const { events } = await watching;
      await client.dispose();
      expect(upload.status).toBe(200);
      const staged = upload.body.data.stageImage;
      expect(events.at(-1).uploadProgress.phase).toBe("READY");
      expect(events.at(-1).uploadProgress.stagedImage.id).toBe(staged.id);

      const committed = await graphql(c.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: staged.id } }, bearer);
      expect(committed.body.errors).toBeUndefined();

      // The same new size asked of two instances at once: made, stored and listed once.
      const [onA, onC] = await Promise.all([graphql(a.graphqlUrl, AVATAR, {}, bearer), graphql(c.graphqlUrl, AVATAR, {}, bearer)]);
      const urlA = new URL(onA.body.data!.viewer.avatar.thumbnail.url);
      const urlC = new URL(onC.body.data!.viewer.avatar.thumbnail.url);
      expect(urlA.pathname).toBe(urlC.pathname);
      expect((await fetch(urlA)).status).toBe(200);
      const thumbnailKeys = (await keys()).filter((key) => key.includes(".80x80."));
      expect(thumbnailKeys).toHaveLength(1);

      // An on-demand size is served through /media/ (rendered again should the cap evict it), by any instance from the shared store.
      expect(urlA.pathname.startsWith("/media/")).toBe(true);
      const key = decodeURIComponent(urlA.pathname).slice("/media/".length);
      expect((await fetch(`${b.url}/media/${key}`)).status).toBe(200);
    });

    it("a direct upload made on A, sent to the bucket and staged on B: subscribers on A and on B hear every phase, and C answers the same image", async () => {
      const [a, b, c] = instances as [ServerProcess, ServerProcess, ServerProcess];
      const bearer = await token("direct-everywhere");
      const uploadId = randomUUID();
      const [onA, onB] = [wsClient(a.graphqlUrl, bearer), wsClient(b.graphqlUrl, bearer)];
      const watching = [collect(onA, UPLOAD_PROGRESS, { uploadId }), collect(onB, UPLOAD_PROGRESS, { uploadId })];
      await Promise.all(
        [a, b].map((server) =>
          server.logged((entry) => entry["msg"] === "upload watched" && entry["uploadId"] === uploadId, "that it watches the upload"),
        ),
      );

      const file = await jpeg(640, 480);
      const created = await createDirect(a.graphqlUrl, bearer, { byteSize: file.length, uploadId });
      expect(created.body.errors).toBeUndefined();
      const upload = created.body.data!.createDirectUpload;
      expect((await putToBucket(upload, file)).status).toBe(200);
      const staged = await stageDirect(b.graphqlUrl, bearer, upload.id, uploadId);
      expect(staged.body.errors).toBeUndefined();
      for (const { events } of await Promise.all(watching)) {
        expect(events.map((event) => event.uploadProgress.phase)).toEqual(["RECEIVING", "PROCESSING", "READY"]);
        expect(events.at(-1).uploadProgress.stagedImage.id).toBe(staged.body.data!.stageDirectUpload.id);
      }
      await Promise.all([onA.dispose(), onB.dispose()]);
      expect((await stageDirect(c.graphqlUrl, bearer, upload.id)).body.data!.stageDirectUpload.id).toBe(
        staged.body.data!.stageDirectUpload.id,
      );
      expect((await keys()).filter((key) => key.startsWith("quarantine/"))).toEqual([]);

      // A burst of direct creations spread over the three: MAX_CONCURRENT_UPLOADS (4) places hold across instances.
      const burst = await Promise.all(
        Array.from({ length: 9 }, (_, i) => createDirect([a, b, c][i % 3]!.graphqlUrl, bearer, { byteSize: 100_000 })),
      );
      const codes = burst.map((answer) => answer.body.errors?.[0]?.extensions?.code ?? "CREATED").sort();
      expect(codes).toEqual([...Array(4).fill("CREATED"), ...Array(5).fill("RATE_LIMITED")]);
    });

    it("limits per user hold across instances under a burst: one upload per uploadId, and the quota's reserved bytes", async () => {
      const [a, b, c] = instances as [ServerProcess, ServerProcess, ServerProcess];
      const bearer = await token("burst-everywhere");
      const uploadId = randomUUID();
      const files = await Promise.all([0, 1, 2, 3].map((i) => jpeg(300 + i, 200)));
      const answers = await Promise.all(
        files.map((file, i) => rawUpload([a, b, c, a][i]!.graphqlUrl, file, { token: bearer, uploadId, chunkSize: 8 * 1024, delayMs: 2 })),
      );
      const codes = answers.map(
        (answer) => answer.body?.errors?.[0]?.extensions?.code ?? (answer.body?.data?.stageImage ? "STAGED" : answer.status),
      );
      expect(codes.sort()).toEqual(["RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED", "STAGED"]);

      // Twelve tus creations of 20 MB at once, four on each instance, against the 200 MiB quota: ten fit.
      const creations = await Promise.all(
        Array.from({ length: 12 }, (_, i) => createTusUpload([a, b, c][i % 3]!.url, { token: bearer, length: 20_000_000 })),
      );
      const statuses = creations.map((response) => response.status).sort();
      expect(statuses).toEqual([...Array(10).fill(201), 403, 403]);
      for (const refused of creations.filter((response) => response.status === 403))
        expect(await refused.json()).toMatchObject({ error: { code: "QUOTA_EXCEEDED" } });
    });

    it("sweeps on one instance at a time: none while another holds the sweep, then the expired image goes", async () => {
      // Its staged images expire after 2 s; every instance tries to sweep each second.
      const shortLived = await instance({ STAGE_TTL: "2" });
      const bearer = await token("expiring");
      const holder = new pg.Client({ connectionString: database.url });
      await holder.connect();
      try {
        // Stand in for an instance in the middle of a sweep.
        await holder.query("select pg_advisory_lock($1)", [SingleRunnerJob.Sweep]);
        const upload = await rawUpload(shortLived.graphqlUrl, await jpeg(120, 120), { token: bearer });
        const stagedId: string = upload.body.data.stageImage.id;
        const before = await keys();
        const {
          rows: [{ expires_at: expiresAt }],
        } = await holder.query("select expires_at from images where id = $1", [stagedId]);
        // The image expires; then this instance tries a sweep and finds it held.
        await waitFor(() => Date.now() > expiresAt.getTime(), "the staged image expired");
        const skipped = await metricValue(shortLived.url, "upstage_sweeper_runs_total", { result: "skipped" });
        await waitFor(
          async () => (await metricValue(shortLived.url, "upstage_sweeper_runs_total", { result: "skipped" })) > skipped,
          "a sweep skipped after the expiry",
        );
        const held = await holder.query("select status from images where id = $1", [stagedId]);
        expect(held.rows[0].status).toBe("STAGED");
        expect(await keys()).toEqual(before);

        await holder.query("select pg_advisory_unlock($1)", [SingleRunnerJob.Sweep]);
        await waitFor(
          async () => (await holder.query("select 1 from images where id = $1", [stagedId])).rowCount === 0,
          "the expired image's row is swept",
          15_000,
        );
        expect((await keys()).length).toBe(before.length - 3);
      } finally {
        await holder.end();
      }
    }, 40_000);

    it("an instance starting up while another is mid-upload leaves that upload alone", async () => {
      const [, b] = instances as [ServerProcess, ServerProcess];
      const bearer = await token("overlapping");
      const slow = rawUpload(b.graphqlUrl, await jpeg(900, 900), { token: bearer, chunkSize: 8 * 1024, delayMs: 15 });
      const late = await instance();
      const upload = await slow;
      expect(upload.status).toBe(200);
      const stagedId: string = upload.body.data.stageImage.id;
      const seen = await graphql(late.graphqlUrl, `query ($id: ID!) { image(id: $id) { url } }`, { id: stagedId }, bearer);
      expect((await fetch(seen.body.data!.image.url)).status).toBe(200);
    }, 60_000);
  },
);
