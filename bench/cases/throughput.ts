import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import os from "node:os";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import WebSocket from "ws";
import { stageFile } from "../../test/helpers/graphqlClient.js";
import { metricValue } from "../../test/helpers/metricValue.js";
import { STAGE_ID, type Upstage } from "../lib/benchServers.js";
import { cpuMsOf, memoryOf, resetPeak } from "../lib/procStatus.js";
import type { CaseResult } from "../lib/report.js";
import { sizeLabel } from "../lib/report.js";
import { quantile } from "../lib/stats.js";

/** B4's baseline: sharp decoding the same files to raw pixels, all at once (the uploads' concurrency); images per second. */
async function decodeAllWithSharp(photo: Buffer, count: number): Promise<number> {
  const started = performance.now();
  await Promise.all(Array.from({ length: count }, () => sharp(photo).raw().toBuffer()));
  return count / ((performance.now() - started) / 1000);
}

/**
 * B4: many concurrent uploads, each watched by its own subscriber; every event
 * must arrive, in order, to the right one. B5, under the same load: how long a
 * RECEIVING event takes from the server reading the bytes (its `at`) to its
 * subscriber, against a bare `ws` message of the same size in the same window.
 * B8, over the same run: the server's peak resident memory.
 */
export async function throughputCases(upstage: Upstage, uploads: number, photo: Buffer): Promise<CaseResult[]> {
  const users = await Promise.all(
    Array.from({ length: uploads }, async (_, i) => {
      const token = await upstage.token(`b4-${i}`);
      return { token, client: upstage.ws(token), uploadId: randomUUID() };
    }),
  );
  const latencies: number[] = [];
  const progressLatencies: number[] = [];
  /** Per upload, from its request's start to PROCESSING (all bytes in). */
  const receivingTimes: number[] = [];
  const bare = await startBareWs(uploads);
  let errors = 0;
  let eventProblems = 0;
  const decodeRate = await decodeAllWithSharp(photo, uploads);
  const pid = upstage.process.child.pid!;
  await resetPeak(pid);
  const busyBefore = await metricValue(upstage.process.url, "upstage_event_loop_busy_seconds_total");
  const cpuBefore = await cpuMsOf(pid);
  const started = performance.now();
  // /healthz every 50 ms while the uploads run: the server must still answer it at once.
  const healthLatencies: number[] = [];
  let loaded = true;
  const probing = (async () => {
    while (loaded) {
      const t0 = performance.now();
      await fetch(`${upstage.process.url}/healthz`).then((r) => r.arrayBuffer());
      healthLatencies.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  try {
    await Promise.all(
      users.map(async ({ token, client, uploadId }) => {
        const events: any[] = [];
        const watching = (async () => {
          for await (const result of client.iterate({
            query: "subscription ($id: ID!) { uploadProgress(uploadId: $id) { uploadId phase bytesReceived at stagedImage { id } } }",
            variables: { id: uploadId },
          })) {
            const event = (result.data as any).uploadProgress;
            if (event.phase === "RECEIVING") progressLatencies.push(Date.now() - Date.parse(event.at));
            events.push(event);
          }
        })();
        await new Promise((resolve) => setTimeout(resolve, 100));
        const t0 = performance.now();
        const sentAt = Date.now();
        const { body } = await stageFile(upstage.process.graphqlUrl, photo, { token, uploadId, query: STAGE_ID });
        latencies.push(performance.now() - t0);
        await watching;
        const processingAt = events.find((e) => e.phase === "PROCESSING")?.at;
        if (processingAt) receivingTimes.push(Date.parse(processingAt) - sentAt);
        if (body.errors) errors += 1;
        const last = events.at(-1);
        const ordered = events.every((e, i) => e.uploadId === uploadId && (i === 0 || e.bytesReceived >= events[i - 1].bytesReceived));
        if (!ordered || last?.phase !== "READY" || last.stagedImage?.id !== body.data?.stageImage?.id) eventProblems += 1;
      }),
    );
  } finally {
    await Promise.all(users.map((u) => u.client.dispose()));
  }
  const seconds = (performance.now() - started) / 1000;
  loaded = false;
  await probing;
  const busyMs = ((await metricValue(upstage.process.url, "upstage_event_loop_busy_seconds_total")) - busyBefore) * 1000;
  const cpuMs = (await cpuMsOf(pid)) - cpuBefore;
  const { peakMiB } = await memoryOf(pid);
  const bareLatencies = await bare.stop();
  const p50 = quantile(latencies, 0.5);
  const p99 = quantile(latencies, 0.99);
  return [
    {
      id: "B4",
      name: `${uploads} concurrent ${sizeLabel(photo.length)} uploads, each watched`,
      unit: "images/s",
      higherIsBetter: true,
      samples: [uploads / seconds],
      baseline: { name: `sharp decoding the same ${uploads} files at once`, samples: [decodeRate] },
      target: { ratioAtLeast: 0.5, text: "0 errors, 0 events lost or crossed" },
      met: errors === 0 && eventProblems === 0,
      notes: `errors ${errors}, uploads whose events were lost, out of order or crossed ${eventProblems}; latency p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms; of which receiving (request start to PROCESSING) p50 ${quantile(receivingTimes, 0.5).toFixed(0)} ms, p99 ${quantile(receivingTimes, 0.99).toFixed(0)} ms`,
    },
    {
      id: "B4c",
      name: "main-thread busy time per staged photo over B4 (performance.eventLoopUtilization)",
      unit: "ms",
      higherIsBetter: false,
      samples: [busyMs / uploads],
      target: { atMost: 25 },
      notes: `the server's main thread was busy ${(busyMs / 1000).toFixed(1)} s of the ${seconds.toFixed(1)} s B4 took (${((busyMs / 1000 / seconds) * 100).toFixed(0)} %), /healthz probes included; the server process used ${(cpuMs / 1000).toFixed(1)} s of CPU on all its threads, ${(cpuMs / uploads).toFixed(0)} ms a photo, against ${((2 * 1000) / decodeRate).toFixed(0)} ms a photo for the baseline's decode on the same ${os.availableParallelism()} cores`,
    },
    {
      id: "B4l",
      name: `latency of B4's uploads: p50 against p99`,
      unit: "ms",
      higherIsBetter: false,
      samples: [p50],
      baseline: { name: "their p99", samples: [p99] },
      target: { ratioAtMost: 0.6 },
    },
    {
      id: "B8",
      name: "image-work memory: the server's peak resident memory during B4",
      unit: "MiB",
      higherIsBetter: false,
      samples: [peakMiB],
      target: { text: "reported; not above the last run's" },
      notes: `VmHWM of the server process, reset just before B4's uploads start; /healthz meanwhile (every 50 ms) answered in p50 ${quantile(healthLatencies, 0.5).toFixed(0)} ms, p99 ${quantile(healthLatencies, 0.99).toFixed(0)} ms`,
    },
    {
      id: "B5",
      name: "progress latency p99 under B4's load",
      unit: "ms",
      higherIsBetter: false,
      samples: [quantile(progressLatencies, 0.99)],
      baseline: { name: "bare ws message, same size and window", samples: [Math.max(1, quantile(bareLatencies, 0.99))] },
      target: { ratioAtMost: 2 },
      notes: `${progressLatencies.length} RECEIVING events, p50 ${quantile(progressLatencies, 0.5).toFixed(0)} ms; bare ws ${bareLatencies.length} messages, p50 ${quantile(bareLatencies, 0.5).toFixed(0)} ms (clocks in ms; the baseline's p99 is floored at 1 ms)`,
    },
  ];
}

/** The bare `ws` server in its own process, with as many clients as uploads, recording each message's age on arrival. */
async function startBareWs(clients: number): Promise<{ stop(): Promise<number[]> }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL("../lib/bareWsServer.ts", import.meta.url)), "250", "50"],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const [port] = (await once(child.stdout!, "data")) as [Buffer];
  const ages: number[] = [];
  const sockets = await Promise.all(
    Array.from({ length: clients }, async () => {
      const socket = new WebSocket(`ws://127.0.0.1:${String(port).trim()}`);
      socket.on("message", (data) => ages.push(Date.now() - (JSON.parse(String(data)) as { at: number }).at));
      await once(socket, "open");
      return socket;
    }),
  );
  return {
    async stop() {
      for (const socket of sockets) socket.close();
      child.kill();
      await once(child, "exit");
      return ages;
    },
  };
}
