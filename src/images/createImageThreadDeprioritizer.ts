import fs from "node:fs";
import os from "node:os";

/** libvips names its worker threads so; the main thread and libuv's (file system calls) are "node". */
const LIBVIPS_WORKER = "libvips worker";

/**
 * Lowers the scheduling priority of libvips' worker threads to `niceness`
 * (Linux: each thread has its own nice value), so that when the cores are
 * busy with pixels, the main thread (receiving bytes, progress events,
 * GraphQL, health checks) and libuv's file system threads still run first.
 * Image work then takes the cores only when nothing else wants them; it is
 * still done as fast when the server is otherwise idle.
 *
 * libvips keeps its workers and reuses them, so each thread is changed once;
 * call this as image work starts (new workers appear with the first jobs).
 * Elsewhere than Linux, or if the kernel refuses, it does nothing.
 */
export function createImageThreadDeprioritizer(niceness: number): () => void {
  const lowered = new Set<string>();
  let supported = niceness > 0 && process.platform === "linux";
  return () => {
    if (!supported) return;
    try {
      for (const tid of fs.readdirSync("/proc/self/task")) {
        if (lowered.has(tid)) continue;
        const name = readName(tid);
        if (name === undefined) continue;
        if (name === LIBVIPS_WORKER) os.setPriority(Number(tid), niceness);
        // Threads other than libvips' are remembered too, so each is read once.
        lowered.add(tid);
      }
    } catch {
      supported = false;
    }
  };
}

function readName(tid: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim();
  } catch {
    return undefined; // the thread ended meanwhile
  }
}
