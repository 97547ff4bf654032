import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { type ServerProcess, spawnServer, tokenFor } from "../../test/helpers/spawnServer.js";

/** stageImage asking only for the staged image's id; variables as the tests' `stageFile` sends them. */
export const STAGE_ID = "mutation ($file: Upload!, $uploadId: ID) { stageImage(file: $file, uploadId: $uploadId) { id } }";

export interface Upstage {
  readonly process: ServerProcess;
  readonly dataDir: string;
  token(username: string): Promise<string>;
  /** A graphql-ws client for `token`. */
  ws(token: string): Client;
  stop(): Promise<void>;
}

/** A real upstage process on loopback (npm start's code path), with limits raised for the benchmark. */
export async function startUpstage(env: Record<string, string> = {}): Promise<Upstage> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "upstage-bench-"));
  const process = await spawnServer(
    {
      DATA_DIR: dataDir,
      LOG_LEVEL: "error",
      MAX_FILE_SIZE: String(2 * 1024 ** 3),
      QUOTA_BYTES: String(64 * 1024 ** 3),
      MAX_CONCURRENT_UPLOADS: "16",
      // `BENCH_DATABASE_URL=postgres://…` runs the server on that PostgreSQL database instead of the embedded one.
      ...(globalThis.process.env["BENCH_DATABASE_URL"] ? { DATABASE_URL: globalThis.process.env["BENCH_DATABASE_URL"] } : {}),
      // `BENCH_SERVER_ENV="IMAGE_CONCURRENCY=2 IMAGE_THREADS=1"` sets more of the server's variables.
      ...Object.fromEntries(
        (globalThis.process.env["BENCH_SERVER_ENV"] ?? "")
          .split(" ")
          .filter(Boolean)
          .map((pair) => pair.split("=", 2) as [string, string]),
      ),
      ...env,
      // `BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` profiles the server under the bench.
    },
    globalThis.process.env["BENCH_SERVER_NODE_ARGS"]?.split(" ").filter(Boolean),
  );
  return {
    process,
    dataDir,
    token: (username) => tokenFor(dataDir, username),
    ws: (token) =>
      createClient({
        url: process.graphqlUrl.replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
      }),
    async stop() {
      process.child.kill("SIGTERM");
      await process.exited;
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The B1 baseline, a strong bare pipe: a Node http server that writes each
 * request body to a file in writes of at least 1 MiB (one writev of the
 * chunks read meanwhile) and answers at its end. Piping into a write stream
 * with its default 16 KiB buffer, as most handlers do, is about half as fast.
 */
export async function startBarePipe(): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "upstage-bare-"));
  let n = 0;
  const server = http.createServer(async (request, response) => {
    const file = path.join(dir, String(n++));
    const handle = await fs.open(file, "w");
    let pending: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      pending.push(chunk);
      bytes += chunk.length;
      if (bytes >= 1024 * 1024) {
        await handle.writev(pending);
        pending = [];
        bytes = 0;
      }
    }
    if (pending.length > 0) await handle.writev(pending);
    await handle.close();
    response.end("ok");
    void fs.rm(file, { force: true });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    async stop() {
      await new Promise((resolve) => server.close(resolve));
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves with the time the upload's events say every body byte was read (RECEIVING at 100%). */
export function whenFullyReceived(client: Client, uploadId: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = false;
    client.subscribe(
      {
        query: "subscription ($id: ID!) { uploadProgress(uploadId: $id) { phase bytesReceived bytesTotal } }",
        variables: { id: uploadId },
      },
      {
        next: (result) => {
          const event = (result.data as any)?.uploadProgress;
          if (!done && event && event.bytesTotal && event.bytesReceived === event.bytesTotal) {
            done = true;
            resolve(performance.now());
          }
        },
        error: reject,
        complete: () => (done ? undefined : reject(new Error(`upload ${uploadId} ended without all its bytes`))),
      },
    );
  });
}
