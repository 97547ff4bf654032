import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { stageFile } from "../../test/helpers/graphqlClient.js";
import type { Upstage } from "../lib/benchServers.js";
import type { CaseResult } from "../lib/report.js";
import { interleave } from "../lib/stats.js";

async function requestsPerSecond(url: string, seconds: number): Promise<number> {
  const result = await autocannon({ url, connections: 50, duration: seconds, pipelining: 1 });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`serving ${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

/** B6: a stored thumbnail over keep-alive, 50 connections, against a bare Node static handler for the same bytes. */
export async function servingCase(upstage: Upstage, photo: Buffer, seconds: number, rounds: number): Promise<CaseResult> {
  const token = await upstage.token("b6");
  const query = "mutation ($file: Upload!) { stageImage(file: $file) { image { thumbnail(width: 200, height: 200) { url } } } }";
  const staged = await stageFile(upstage.process.graphqlUrl, photo, { token, query });
  const thumbnailUrl: string = staged.body.data!["stageImage"].image.thumbnail.url.replace("localhost", "127.0.0.1");

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "upstage-b6-"));
  const file = path.join(dir, "thumbnail.jpg");
  await fs.writeFile(file, Buffer.from(await (await fetch(thumbnailUrl)).arrayBuffer()));
  const bare = http.createServer((_request, response) => {
    response.writeHead(200, { "content-type": "image/jpeg" });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
  const bareUrl = `http://127.0.0.1:${(bare.address() as { port: number }).port}/thumbnail.jpg`;
  try {
    const samples = await interleave(
      rounds,
      () => requestsPerSecond(thumbnailUrl, seconds),
      () => requestsPerSecond(bareUrl, seconds),
    );
    return {
      id: "B6",
      name: "serve a stored thumbnail (keep-alive, 50 connections)",
      unit: "req/s",
      higherIsBetter: true,
      samples: samples.a,
      baseline: { name: "bare Node static handler", samples: samples.b },
      target: { ratioAtLeast: 0.9 },
    };
  } finally {
    await new Promise((resolve) => bare.close(resolve));
    await fs.rm(dir, { recursive: true, force: true });
  }
}
