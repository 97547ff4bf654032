import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { ByteRange, Storage, StorageBody } from "./Storage.js";
import { isStorageKey } from "./storageKey.js";

export interface LocalStorageOptions {
  /** Directory that holds the objects (MEDIA_ROOT). */
  readonly root: string;
  /** Where writes are prepared: outside `root`, on the same volume. */
  readonly incoming: string;
  /** Free bytes below which `check()` reports the storage full (64 MiB by default). */
  readonly minFreeBytes?: number;
}

/**
 * Objects as files under `root`. A write is prepared in `incoming`, fsynced,
 * then hard-linked into place: `link` fails if the key exists (exclusive
 * create) and makes the complete file visible at once (atomic), so nothing
 * partial is ever under `root`.
 */
export async function createLocalStorage({ root, incoming, minFreeBytes = 64 * 1024 * 1024 }: LocalStorageOptions): Promise<Storage> {
  await fs.mkdir(root, { recursive: true });
  await fs.mkdir(incoming, { recursive: true });

  function pathOf(key: string): string {
    if (!isStorageKey(key)) throw new Error(`Not a storage key: ${JSON.stringify(key)}`);
    return path.join(root, key);
  }

  async function stageBody(body: StorageBody): Promise<string> {
    const temp = path.join(incoming, randomUUID());
    if (Buffer.isBuffer(body)) {
      const handle = await fs.open(temp, "wx", 0o644);
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return temp;
    }
    // Take the caller's file over (same volume: a rename, no copy).
    await fs.rename(body.file, temp);
    const handle = await fs.open(temp, "r+");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    return temp;
  }

  return {
    async put(key, body) {
      const target = pathOf(key);
      const temp = await stageBody(body);
      try {
        await fs.mkdir(path.dirname(target), { recursive: true });
        await fs.link(temp, target);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw error;
      } finally {
        await fs.rm(temp, { force: true });
      }
    },

    async stat(key) {
      if (!isStorageKey(key)) return undefined;
      try {
        const stats = await fs.stat(pathOf(key));
        return stats.isFile() ? { byteSize: stats.size, modifiedAt: stats.mtime } : undefined;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },

    read(key: string, range?: ByteRange) {
      return createReadStream(pathOf(key), range ? { start: range.start, end: range.end } : {});
    },

    async delete(key) {
      await fs.rm(pathOf(key), { force: true });
    },

    async *list() {
      // A walk of its own, one directory at a time: on Node 20, `opendir(…,
      // { recursive: true })` yields at most 32 entries per subdirectory
      // (nodejs/node#48820), and a day's images share one.
      const directories = [root];
      while (directories.length > 0) {
        const directory = directories.pop()!;
        const handle = await fs.opendir(directory).catch(() => undefined);
        if (!handle) continue;
        for await (const entry of handle) {
          const file = path.join(directory, entry.name);
          if (entry.isDirectory()) {
            directories.push(file);
            continue;
          }
          if (!entry.isFile()) continue;
          const key = path.relative(root, file).split(path.sep).join("/");
          if (!isStorageKey(key)) continue;
          const stats = await fs.stat(file).catch(() => undefined);
          if (stats) yield { key, byteSize: stats.size, modifiedAt: stats.mtime };
        }
      }
    },

    async urlOf() {
      return undefined;
    },

    async check() {
      await fs.access(root, fs.constants.W_OK);
      await fs.access(incoming, fs.constants.W_OK);
      const volume = await fs.statfs(root);
      if (volume.bavail * volume.bsize < minFreeBytes) {
        throw Object.assign(new Error(`storage is full: less than ${minFreeBytes} bytes free under ${root}`), { code: "ENOSPC" });
      }
    },

    async close() {},
  };
}
