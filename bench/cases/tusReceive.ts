import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import * as tus from "tus-js-client";
import type { Upstage } from "../lib/benchServers.js";
import type { CaseResult } from "../lib/report.js";
import { interleave } from "../lib/stats.js";

const MiB = 1024 * 1024;
const CHUNK = 5 * MiB;

/**
 * Sends `body` with tus-js-client in 5 MiB PATCHes and times it from the
 * start to the end of the last PATCH before the one that completes the
 * upload (so no staging is timed); then the upload is terminated. MiB/s.
 */
function timeReceiving(endpoint: string, body: Buffer, headers: Record<string, string>): Promise<number> {
  const before = body.length - (body.length % CHUNK || CHUNK);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const upload = new tus.Upload(body, {
      endpoint,
      headers,
      chunkSize: CHUNK,
      retryDelays: [],
      onChunkComplete(_size, accepted) {
        if (accepted < before) return;
        const seconds = (performance.now() - started) / 1000;
        void upload.abort(true).then(() => resolve(before / MiB / seconds), reject);
      },
      onError: reject,
    });
    upload.start();
  });
}

/**
 * B9: the tus door receiving `sizeMiB` (its admission, handler chain and
 * pushed progress on each PATCH), against a bare `@tus/server` with
 * `@tus/file-store` in its own process.
 */
export async function tusReceiveCase(upstage: Upstage, sizeMiB: number, rounds: number): Promise<CaseResult> {
  const bare = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("../lib/bareTusServer.ts", import.meta.url))], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [port] = (await once(bare.stdout!, "data")) as [Buffer];
  // A JPEG's first bytes (the sniff reads them), then noise: nothing stages, since the last PATCH is never sent.
  const body = Buffer.alloc(sizeMiB * MiB, 7);
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]).copy(body);
  const token = await upstage.token("b9");
  try {
    const samples = await interleave(
      rounds,
      () => timeReceiving(`${upstage.process.url}/uploads/`, body, { authorization: `Bearer ${token}` }),
      () => timeReceiving(`http://127.0.0.1:${String(port).trim()}/uploads/`, body, {}),
    );
    return {
      id: "B9",
      name: `the tus door receiving ${sizeMiB} MiB in 5 MiB PATCHes (tus-js-client), to the last PATCH before the one that stages`,
      unit: "MiB/s",
      higherIsBetter: true,
      samples: samples.a,
      baseline: { name: "bare @tus/server with @tus/file-store, its own process", samples: samples.b },
      target: { ratioAtLeast: 0.7 },
    };
  } finally {
    bare.kill("SIGTERM");
    await once(bare, "exit");
  }
}
