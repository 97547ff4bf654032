import { randomUUID } from "node:crypto";
import { startBarePipe, type Upstage, whenFullyReceived } from "../lib/benchServers.js";
import type { CaseResult } from "../lib/report.js";
import { interleave } from "../lib/stats.js";
import { streamUpload } from "../lib/streamUpload.js";

const MiB = 1024 * 1024;

/** B1: a large body through stageImage's whole handler chain, against a bare pipe to a file. */
export async function receiveCase(upstage: Upstage, sizeMiB: number, rounds: number): Promise<CaseResult> {
  const bare = await startBarePipe();
  const token = await upstage.token("b1");
  const client = upstage.ws(token);
  const size = sizeMiB * MiB;
  try {
    const samples = await interleave(
      rounds,
      async () => {
        const uploadId = randomUUID();
        const received = whenFullyReceived(client, uploadId);
        await new Promise((resolve) => setTimeout(resolve, 50));
        const upload = streamUpload(upstage.process.graphqlUrl, token, size, uploadId);
        const [receivedAt, { startedAt }] = await Promise.all([received, upload]);
        return size / MiB / ((receivedAt - startedAt) / 1000);
      },
      async () => {
        const { startedAt } = await streamUpload(bare.url, token, size, null);
        return size / MiB / ((performance.now() - startedAt) / 1000);
      },
    );
    return {
      id: "B1",
      name: `receive ${sizeMiB} MiB through the handler chain`,
      unit: "MiB/s",
      higherIsBetter: true,
      samples: samples.a,
      baseline: { name: "strong bare http pipe to a file (1 MiB writes)", samples: samples.b },
      target: { ratioAtLeast: 0.7 },
    };
  } finally {
    await client.dispose();
    await bare.stop();
  }
}
