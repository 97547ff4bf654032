// A start that cannot go on: one line saying why, exit code 1, and nothing left open.
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cleanedAfterEach } from "../helpers/cleanedAfterEach.js";
import { failedStart, freePort } from "../helpers/spawnServer.js";

const leftovers = cleanedAfterEach();
const dataDir = () => leftovers.dataDir("refused");

describe("a start that cannot go on says why in one line, and exits 1", { timeout: 120_000 }, () => {
  it.each([
    [
      "PORT in use",
      async () => ({ PORT: String(await occupiedPort()) }),
      /^upstage: PORT \d+ on 127\.0\.0\.1 is in use by another process: stop that process, or set PORT to a free port\.$/,
    ],
    [
      "DATA_DIR is a file",
      async () => ({ DATA_DIR: await aFile() }),
      /^upstage: DATA_DIR .* is a file, not a directory: point DATA_DIR at a directory this user may write\.$/,
    ],
    [
      "DATABASE_URL unreachable",
      async () => ({ DATABASE_URL: `postgres://postgres:hunter2@127.0.0.1:${await freePort()}/nowhere` }),
      /^upstage: DATABASE_URL postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/nowhere cannot be used \(ECONNREFUSED\): start PostgreSQL there or fix DATABASE_URL\.$/,
    ],
    [
      "REDIS_URL unreachable",
      async () => ({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` }),
      /^upstage: REDIS_URL redis:\/\/127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED\): start Redis there, or unset REDIS_URL for the in-process bus\.$/,
    ],
    [
      "an unknown upload handler",
      async () => ({ UPLOAD_HANDLERS: "limit,bogus,hash,store" }),
      /^upstage: UPLOAD_HANDLERS names unknown handlers: bogus\./,
    ],
  ] as const)("%s", async (_name, envOf, line) => {
    const dir = await dataDir();
    const result = await failedStart({ DATA_DIR: dir, PORT: String(await freePort()), ...(await envOf()) });
    expect(result.code).toBe(1);
    const lines = result.output.trim().split("\n");
    expect(lines, result.output).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    // Whatever it opened is closed: the data directory's lock is gone with it.
    await expect(fs.access(path.join(dir, "upstage.lock"))).rejects.toThrow();
  });
});

async function occupiedPort(): Promise<number> {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  const { port } = holder.address() as net.AddressInfo;
  leftovers.later(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  return port;
}

async function aFile(): Promise<string> {
  const dir = await dataDir();
  const file = path.join(dir, "not-a-directory");
  await fs.writeFile(file, "");
  return file;
}
