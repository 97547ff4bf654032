import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { isProcessAlive } from "./isProcessAlive.js";

/** Local files for work in progress (uploads being received, images being encoded). */
export interface Scratch {
  /** This instance's own directory. */
  readonly dir: string;
  /** A fresh path in the scratch directory; nothing is created. */
  newPath(): string;
  /** Removes scratch files; missing ones are fine. */
  remove(...files: string[]): Promise<void>;
  /** Removes this instance's directory with whatever is left in it. */
  close(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Makes this instance's scratch directory under `root` (on the same volume as
 * local media, so finished files move into place with a link), named
 * `<host>-<pid>-<random>`. What a dead instance left behind is removed: a
 * directory of this host whose process is gone, or any older than a day
 * (another host's, on a shared volume).
 */
export async function createScratch(options: { root: string }): Promise<Scratch> {
  const host = os.hostname().replace(/[^\w.-]/g, "_");
  await fs.mkdir(options.root, { recursive: true });
  await removeLeftovers(options.root, host);
  const dir = path.join(options.root, `${host}-${process.pid}-${randomBytes(4).toString("hex")}`);
  await fs.mkdir(dir);
  return {
    dir,
    newPath() {
      return path.join(dir, randomUUID());
    },
    async remove(...files) {
      await Promise.all(files.map((f) => fs.rm(f, { force: true })));
    },
    async close() {
      // Image work abandoned at a stop may still be writing here (ENOTEMPTY):
      // retry a little, and leave the rest to the next start's clean-up.
      await fs.rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }).catch(() => {});
    },
  };
}

/** The host and process of an instance name (a scratch directory's, `<host>-<pid>-<random>`), or undefined for another name. */
export function parseInstanceName(name: string): { host: string; pid: number } | undefined {
  const match = /^(.+)-(\d+)-[0-9a-f]{8}$/.exec(name);
  return match ? { host: match[1]!, pid: Number(match[2]) } : undefined;
}

/** Whether the instance named `name` ran on `host` and its process is gone. */
export function isDeadInstanceOf(name: string, host: string | undefined): boolean {
  const instance = parseInstanceName(name);
  return instance !== undefined && instance.host === host && !isProcessAlive(instance.pid);
}

async function removeLeftovers(root: string, host: string): Promise<void> {
  for (const entry of await fs.readdir(root, { withFileTypes: true })) {
    const full = path.join(root, entry.name);
    const named = parseInstanceName(entry.name);
    const dead = entry.isDirectory() && isDeadInstanceOf(entry.name, host);
    const stats = await fs.stat(full).catch(() => undefined);
    const stale = stats !== undefined && Date.now() - stats.mtimeMs > DAY_MS;
    if (dead || stale || !named) await fs.rm(full, { recursive: true, force: true });
  }
}
