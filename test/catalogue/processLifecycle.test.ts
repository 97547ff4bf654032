// Issue catalogue, faults of the whole process: stopped (SIGTERM) under load,
// and its warnings. Killed with SIGKILL: processCrash.test.ts.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { cleanedAfterEach } from "../helpers/cleanedAfterEach.js";
import { stageFile } from "../helpers/graphqlClient.js";
import { jpeg, photo } from "../helpers/images.js";
import { metricValue } from "../helpers/metricValue.js";
import { mediaKeys, namedKeys, processEnvironment } from "../helpers/processStores.js";
import { rawUpload } from "../helpers/rawUpload.js";
import { startS3Server } from "../helpers/s3Server.js";
import { type ServerProcess, spawnServer, tokenFor } from "../helpers/spawnServer.js";
import { collect, UPLOAD_PROGRESS, wsClient } from "../helpers/subscribe.js";
import { slowTusPatch } from "../helpers/tus.js";
import { waitFor } from "../helpers/waitFor.js";

const leftovers = cleanedAfterEach();
const environment = () => processEnvironment(leftovers);
const start = async (env: Record<string, string>): Promise<ServerProcess> => leftovers.server(await spawnServer(env));

describe("SIGTERM during uploads", () => {
  it("stops taking connections, lets a short upload finish, cuts long ones at either door as ABORTED, and exits 0", async () => {
    const env: Record<string, string> = { ...(await environment()), SHUTDOWN_GRACE: "2", LOG_LEVEL: "debug" };
    const server = await start(env);
    const quickToken = await tokenFor(env["DATA_DIR"]!, "quick");
    const slowToken = await tokenFor(env["DATA_DIR"]!, "slow");
    const tusToken = await tokenFor(env["DATA_DIR"]!, "slow-tus");
    const quickId = randomUUID();
    const slowId = randomUUID();
    const tusId = randomUUID();

    const quickWatch = wsClient(server.graphqlUrl, quickToken);
    const slowWatch = wsClient(server.graphqlUrl, slowToken);
    const quickEvents = collect(quickWatch, UPLOAD_PROGRESS, { uploadId: quickId });
    const slowEvents = collect(slowWatch, UPLOAD_PROGRESS, { uploadId: slowId });
    const tusWatch = wsClient(server.graphqlUrl, tusToken);
    const tusEvents = collect(tusWatch, UPLOAD_PROGRESS, { uploadId: tusId });
    for (const uploadId of [quickId, slowId, tusId])
      await server.logged((entry) => entry["msg"] === "upload watched" && entry["uploadId"] === uploadId, `that ${uploadId} is watched`);

    const file = await jpeg(500, 500);
    // About a second to send, and about a minute.
    const quick = rawUpload(server.graphqlUrl, file, {
      token: quickToken,
      uploadId: quickId,
      chunkSize: Math.ceil(file.length / 20),
      delayMs: 50,
    });
    const slow = rawUpload(server.graphqlUrl, file, { token: slowToken, uploadId: slowId, chunkSize: 2048, delayMs: 200 });
    const slowTus = slowTusPatch(server.url, file, { token: tusToken, uploadId: tusId, chunkSize: 2048, delayMs: 200 });
    await waitFor(async () => (await metricValue(server.url, "upstage_active_uploads")) === 3, "the three uploads in flight");
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
    expect(await slowTus).toBeUndefined();
    expect((await tusEvents).events.at(-1).uploadProgress.phase).toBe("ABORTED");
    expect(await server.exited).toBe(0);
    await Promise.all([quickWatch.dispose(), slowWatch.dispose(), tusWatch.dispose()]);
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
    const lines = server
      .output()
      .split("\n")
      .filter((line) => line.trim() !== "");
    expect(lines.filter((line) => !line.startsWith("{"))).toEqual([]);
    const warnings = lines
      .map((line) => JSON.parse(line) as { level: number; msg: string; warning?: { message: string } })
      .filter((entry) => entry.warning);
    // The SDK warns on Node before 22; on a newer Node there is nothing to route.
    if (Number(process.versions.node.split(".")[0]) < 22) {
      expect(warnings.map((entry) => [entry.level, entry.msg])).toEqual([[40, expect.stringContaining("NodeVersionSupportWarning")]]);
      expect(warnings[0]!.warning!.message).toContain("AWS SDK for JavaScript");
    }
  }, 60_000);
});
