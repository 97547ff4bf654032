// One contract, every backend: local disk and an S3-compatible server on loopback.

import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createLocalStorage } from "../../src/storage/createLocalStorage.js";
import { createS3Storage } from "../../src/storage/createS3Storage.js";
import type { Storage } from "../../src/storage/Storage.js";
import { newImageKey, thumbnailKey } from "../../src/storage/storageKey.js";
import { startS3Server, type TestS3Server } from "../helpers/s3Server.js";

interface Backend {
  readonly storage: Storage;
  readonly scratch: string;
  stop(): Promise<void>;
}

async function localBackend(): Promise<Backend> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "upstage-storage-"));
  const scratch = path.join(dir, "tmp");
  const storage = await createLocalStorage({ root: path.join(dir, "media"), incoming: scratch });
  return { storage, scratch, stop: () => fs.rm(dir, { recursive: true, force: true }) };
}

async function s3Backend(): Promise<Backend> {
  const s3: TestS3Server = await startS3Server();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "upstage-storage-"));
  const config = loadConfig({ ...s3.env, DATA_DIR: dir });
  if (config.storage.kind !== "s3") throw new Error("expected S3 configuration");
  // 5 MiB parts (S3's least), so a 12 MiB object goes up as a multipart upload.
  const storage = createS3Storage({ ...config.storage, partSize: 5 * 1024 * 1024 });
  return {
    storage,
    scratch: dir,
    async stop() {
      await storage.close();
      await s3.stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

async function text(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe.each([
  ["local disk", localBackend],
  ["S3", s3Backend],
])("Storage on %s", (_name, start) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await start();
  });
  afterAll(() => backend.stop());

  it("stores bytes, reads them whole and by range, and stats them", async () => {
    const { storage } = backend;
    const key = newImageKey("jpg");
    expect(await storage.stat(key)).toBeUndefined();
    expect(await storage.put(key, Buffer.from("0123456789"))).toBe(true);
    expect(await storage.stat(key)).toMatchObject({ byteSize: 10 });
    expect((await text(storage.read(key))).toString()).toBe("0123456789");
    expect((await text(storage.read(key, { start: 2, end: 5 }))).toString()).toBe("2345");
  });

  it("leaves an existing key as it is", async () => {
    const { storage } = backend;
    const key = newImageKey("png");
    expect(await storage.put(key, Buffer.from("first"))).toBe(true);
    expect(await storage.put(key, Buffer.from("second"))).toBe(false);
    expect((await text(storage.read(key))).toString()).toBe("first");
  });

  it("takes a file over, in parts when it is large, and lists it", async () => {
    const { storage, scratch } = backend;
    await fs.mkdir(scratch, { recursive: true });
    const file = path.join(scratch, "large.bin");
    const bytes = randomBytes(12 * 1024 * 1024);
    await fs.writeFile(file, bytes);
    const key = newImageKey("webp");
    expect(await storage.put(key, { file })).toBe(true);
    await expect(fs.access(file)).rejects.toThrow();
    expect((await text(storage.read(key))).equals(bytes)).toBe(true);
    const listed: string[] = [];
    for await (const object of storage.list()) listed.push(object.key);
    expect(listed).toContain(key);
  });

  it("lists every object, however many share a directory (Node 20's recursive opendir stops at 32)", async () => {
    const { storage } = backend;
    const when = new Date("2026-03-04T05:06:07Z");
    const keys = Array.from({ length: 80 }, () => newImageKey("jpg", when));
    await Promise.all(keys.map((key) => storage.put(key, Buffer.from(key))));
    const listed = new Set<string>();
    for await (const object of storage.list()) listed.add(object.key);
    for (const key of keys) expect(listed.has(key), key).toBe(true);
  });

  it("deletes a thumbnail beside its original, and a missing key quietly", async () => {
    const { storage } = backend;
    const key = newImageKey("jpg");
    const thumbnail = thumbnailKey(key, "125x125.cover.jpg");
    await storage.put(key, Buffer.from("original"));
    await storage.put(thumbnail, Buffer.from("thumbnail"));
    await storage.delete(thumbnail);
    await storage.delete(thumbnail);
    expect(await storage.stat(thumbnail)).toBeUndefined();
    expect(await storage.stat(key)).toBeDefined();
  });

  it("fails a read of a missing object as a stream error", async () => {
    await expect(text(backend.storage.read(newImageKey("jpg")))).rejects.toThrow();
  });

  it("refuses keys it never makes", async () => {
    await expect(backend.storage.put("../../etc/passwd", Buffer.from("x"))).rejects.toThrow(/Not a storage key/);
    expect(await backend.storage.stat("images/../../secret")).toBeUndefined();
  });

  it("is ready", async () => {
    await expect(backend.storage.check()).resolves.toBeUndefined();
  });
});
