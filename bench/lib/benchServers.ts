import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { spawnServer, tokenFor, type ServerProcess } from "../../test/helpers/spawnServer.js";

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
  const process = await spawnServer({
    DATA_DIR: dataDir,
    LOG_LEVEL: "error",
    MAX_FILE_SIZE: String(2 * 1024 ** 3),
    QUOTA_BYTES: String(64 * 1024 ** 3),
    MAX_CONCURRENT_UPLOADS: "16",
    ...env,
  });
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

/** The B1/B2 baseline: a bare Node http server that pipes each request body to a file and answers at its end. */
export async function startBarePipe(): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "upstage-bare-"));
  let n = 0;
  const server = http.createServer((request, response) => {
    const file = path.join(dir, String(n++));
    request.pipe(createWriteStream(file)).on("finish", () => {
      response.end("ok");
      void fs.rm(file, { force: true });
    });
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
      { query: "subscription ($id: ID!) { uploadProgress(uploadId: $id) { phase bytesReceived bytesTotal } }", variables: { id: uploadId } },
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
