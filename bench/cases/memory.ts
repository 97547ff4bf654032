import { startUpstage } from "../lib/benchServers.js";
import { memoryOf, resetPeak } from "../lib/procStatus.js";
import type { CaseResult } from "../lib/report.js";
import { streamUpload } from "../lib/streamUpload.js";

const MiB = 1024 * 1024;

/** Peak resident growth of a fresh server over its idle self while `uploads` run. */
async function peakGrowth(uploads: number, sizeMiB: number): Promise<number> {
  const upstage = await startUpstage();
  try {
    const pid = upstage.process.child.pid!;
    const tokens = await Promise.all(Array.from({ length: uploads }, (_, i) => upstage.token(`b2-${i}`)));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idle = await memoryOf(pid);
    await resetPeak(pid);
    await Promise.all(tokens.map((token) => streamUpload(upstage.process.graphqlUrl, token, sizeMiB * MiB, null)));
    return (await memoryOf(pid)).peakMiB - idle.rssMiB;
  } finally {
    await upstage.stop();
  }
}

/** B2: resident memory must not grow with the file size (streaming, no whole-file buffers). */
export async function memoryCases(bigMiB: number, concurrent: number, eachMiB: number): Promise<CaseResult[]> {
  const one = await peakGrowth(1, bigMiB);
  const many = await peakGrowth(concurrent, eachMiB);
  return [
    {
      id: "B2a",
      name: `peak memory growth, one ${bigMiB} MiB upload`,
      unit: "MiB",
      higherIsBetter: false,
      samples: [one],
      target: { atMost: 64 },
      notes: "growth of peak resident memory (VmHWM) over the same server idle",
    },
    {
      id: "B2b",
      name: `peak memory growth, ${concurrent} × ${eachMiB} MiB at once`,
      unit: "MiB",
      higherIsBetter: false,
      samples: [many],
      target: { atMost: 64 },
    },
  ];
}
