/**
 * `npm run soak`: thousands of stage → commit / discard cycles, each watched by
 * a progress subscriber, against a real server on loopback (in this process,
 * so its memory and descriptors are ours to read). Prints resident memory,
 * open file descriptors, scratch files and row counts after a warm-up and at
 * the end, and exits 1 if any of them grew without bound.
 *
 * SOAK_CYCLES (default 3000) and SOAK_CONCURRENCY (default 8) tune it;
 * DATABASE_URL runs it against PostgreSQL instead of the embedded PGlite.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type Client, createClient } from "graphql-ws";
import sharp from "sharp";
import WebSocket from "ws";
import { mintToken } from "../src/auth/mintToken.js";
import { loadConfig } from "../src/config.js";
import { createServer, type UpstageServer } from "../src/server/createServer.js";

const cycles = Number(process.env["SOAK_CYCLES"] ?? 3000);
const concurrency = Number(process.env["SOAK_CONCURRENCY"] ?? 8);
const warmup = Math.min(300, Math.floor(cycles / 5));
const MiB = 1024 * 1024;

interface Sample {
  rssMiB: number;
  fds: number;
  scratchFiles: number;
  images: number;
  thumbnails: number;
}

async function sample(server: UpstageServer, dataDir: string): Promise<Sample> {
  globalThis.gc?.();
  const scratch = await fs.readdir(path.join(dataDir, "tmp"), { recursive: true, withFileTypes: true });
  const count = async (table: string) => Number((await server.database.knex(table).count({ n: "*" }).first())?.["n"] ?? 0);
  return {
    rssMiB: Math.round(process.memoryUsage().rss / MiB),
    fds: (await fs.readdir("/proc/self/fd")).length,
    scratchFiles: scratch.filter((e) => e.isFile()).length,
    images: await count("images"),
    thumbnails: await count("thumbnails"),
  };
}

const STAGE = `mutation ($file: Upload!, $id: ID) { stageImage(file: $file, uploadId: $id) { id } }`;
const COMMIT = `mutation ($id: ID!) { commitProfile(input: { stagedImageId: $id }) { id } }`;
const DISCARD = `mutation ($id: ID!) { discardStagedImage(id: $id) }`;
const PROGRESS = `subscription ($id: ID!) { uploadProgress(uploadId: $id) { phase } }`;

async function post(url: string, token: string, body: string | FormData, json: boolean): Promise<any> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, "apollo-require-preflight": "1" };
  if (json) headers["content-type"] = "application/json";
  const response = await fetch(url, { method: "POST", headers, body });
  const result = (await response.json()) as any;
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data;
}

/** One worker: its own user and socket; stages, watches, then commits or discards. */
async function worker(index: number, server: UpstageServer, todo: { left: number }, images: Buffer[]): Promise<number> {
  const url = `${server.url}/graphql`;
  const token = await mintToken(server.authSecret.key, `soak${index}`);
  const client: Client = createClient({
    url: url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  let done = 0;
  try {
    while (todo.left > 0) {
      todo.left -= 1;
      const uploadId = randomUUID();
      const phases: string[] = [];
      const watching = (async () => {
        for await (const event of client.iterate({ query: PROGRESS, variables: { id: uploadId } })) {
          phases.push((event.data as any).uploadProgress.phase);
        }
      })();
      const form = new FormData();
      form.append("operations", JSON.stringify({ query: STAGE, variables: { file: null, id: uploadId } }));
      form.append("map", JSON.stringify({ 0: ["variables.file"] }));
      form.append("0", new Blob([images[done % images.length]!]), "soak.jpg");
      const staged = await post(url, token, form, false);
      await watching;
      if (phases.at(-1) !== "READY") throw new Error(`upload ${uploadId} ended ${phases.at(-1)}`);
      const query = done % 2 === 0 ? COMMIT : DISCARD;
      await post(url, token, JSON.stringify({ query, variables: { id: staged.stageImage.id } }), true);
      done += 1;
    }
  } finally {
    await client.dispose();
  }
  return done;
}

async function main(): Promise<void> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "upstage-soak-"));
  const server = await createServer(
    loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      DATABASE_URL: process.env["DATABASE_URL"],
      MAX_CONCURRENT_UPLOADS: "2",
    }),
  );
  const images = await Promise.all(
    [64, 96, 128, 160].map((size) =>
      sharp({ create: { width: size, height: size, channels: 3, background: "#000", noise: { type: "gaussian", mean: 128, sigma: 50 } } })
        .jpeg()
        .toBuffer(),
    ),
  );
  const run = async (n: number) => {
    const todo = { left: n };
    const counts = await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i, server, todo, images)));
    return counts.reduce((a, b) => a + b, 0);
  };
  try {
    const started = Date.now();
    await run(warmup);
    await server.sweeper.sweep();
    const before = await sample(server, dataDir);
    await run(cycles - warmup);
    await server.sweeper.sweep();
    const after = await sample(server, dataDir);
    const seconds = (Date.now() - started) / 1000;

    console.log(
      `soak: ${cycles} cycles (${concurrency} at once, each watched) in ${seconds.toFixed(1)} s on ${os.cpus().length} CPUs, Node ${process.version}`,
    );
    console.log("| measure | after warm-up | at the end |\n| --- | --- | --- |");
    for (const key of Object.keys(before) as (keyof Sample)[]) console.log(`| ${key} | ${before[key]} | ${after[key]} |`);

    // Bounded: each user keeps one avatar and its thumbnails; nothing else stays.
    const problems: string[] = [];
    if (after.rssMiB - before.rssMiB > 64) problems.push(`resident memory grew by ${after.rssMiB - before.rssMiB} MiB`);
    if (after.fds - before.fds > 8) problems.push(`open descriptors grew by ${after.fds - before.fds}`);
    if (after.scratchFiles > 0) problems.push(`${after.scratchFiles} scratch files left`);
    if (after.images > concurrency) problems.push(`${after.images} image rows for ${concurrency} users`);
    if (after.thumbnails > concurrency * 2) problems.push(`${after.thumbnails} thumbnail rows for ${concurrency} avatars`);
    if (problems.length > 0) {
      console.error(`soak: FAILED: ${problems.join("; ")}`);
      process.exitCode = 1;
    } else {
      console.log("soak: passed: nothing grows with the number of cycles");
    }
  } finally {
    await server.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

await main();
