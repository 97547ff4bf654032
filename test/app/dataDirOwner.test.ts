import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { cleanedAfterEach } from "../helpers/cleanedAfterEach.js";
import { stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { runCli } from "../helpers/runCli.js";
import { freePort, spawnServer, tokenFor, type ServerProcess } from "../helpers/spawnServer.js";
import { describeWhen } from "../helpers/describeWhen.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const baseEnv = () => ({ PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", LOG_LEVEL: "warn", HOST: "127.0.0.1" });

const leftovers = cleanedAfterEach();
const dataDir = () => leftovers.tempDir("owner");
const server = async (env: Record<string, string>): Promise<ServerProcess> => leftovers.server(await spawnServer(env));

/** Runs `npm start` expecting it to refuse: its exit code and what it printed. */
function failedStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: root, env: { ...baseEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.once("exit", (code) => resolve({ code, output }));
  });
}

const cli = (args: string[], env: Record<string, string>) => runCli(args, env);

// These are about the embedded database's DATA_DIR; PostgreSQL has owners of its own.
describeWhen(process.env["DATABASE_URL"] ? "the embedded default (DATABASE_URL unset), which the other CI pass runs" : undefined, "one process owns an embedded DATA_DIR", { timeout: 120_000 }, () => {
  it("refuses a second server on the same DATA_DIR in one line naming it and the holder's PID, and the first is unharmed", async () => {
    const dir = await dataDir();
    const first = await server({ DATA_DIR: dir });
    const token = await tokenFor(dir, "alice");
    const second = await failedStart({ DATA_DIR: dir, PORT: String(await freePort()) });
    expect(second.code).toBe(1);
    expect(second.output.trim().split("\n")).toEqual([
      `upstage: DATA_DIR ${dir} is in use by another upstage process (PID ${first.child.pid}): stop it, or give this one a DATA_DIR of its own.`,
    ]);
    const staged = await stageFile(first.graphqlUrl, await jpeg(64, 48), { token });
    expect(staged.status).toBe(200);
  });

  it("a holder killed with SIGKILL does not block the next start", async () => {
    const dir = await dataDir();
    const first = await server({ DATA_DIR: dir });
    const token = await tokenFor(dir, "bob");
    expect((await stageFile(first.graphqlUrl, await jpeg(64, 48), { token })).status).toBe(200);
    first.child.kill("SIGKILL");
    await first.exited;
    const next = await server({ DATA_DIR: dir });
    const stats = await fetch(`${next.url}/readyz`);
    expect(stats.status).toBe(200);
  });

  it("the CLI works beside a running server, through it: stats, sweep, reconcile and regenerate-thumbnails", async () => {
    const dir = await dataDir();
    const running = await server({ DATA_DIR: dir });
    const token = await tokenFor(dir, "carol");
    expect((await stageFile(running.graphqlUrl, await jpeg(64, 48), { token })).status).toBe(200);
    const stats = await cli(["stats"], { DATA_DIR: dir });
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ users: 1, images: { STAGED: { count: 1 } } });
    for (const command of [["sweep"], ["reconcile", "--dry-run"], ["regenerate-thumbnails"], ["migrate"]]) {
      const result = await cli(command, { DATA_DIR: dir });
      expect(result.code, `${command.join(" ")}: ${result.stderr}`).toBe(0);
    }
    expect((await cli(["token", "dave"], { DATA_DIR: dir })).code).toBe(0);
    // The server is unharmed.
    expect((await stageFile(running.graphqlUrl, await jpeg(32, 32), { token })).status).toBe(200);
  });
});

describe("a start that cannot go on says why in one line, and exits 1", { timeout: 120_000 }, () => {
  it.each([
    ["PORT in use", async () => ({ PORT: String(await occupiedPort()) }), /^upstage: PORT \d+ on 127\.0\.0\.1 is in use by another process: stop that process, or set PORT to a free port\.$/],
    ["DATA_DIR is a file", async () => ({ DATA_DIR: await aFile() }), /^upstage: DATA_DIR .* is a file, not a directory: point DATA_DIR at a directory this user may write\.$/],
    ["DATABASE_URL unreachable", async () => ({ DATABASE_URL: `postgres://postgres:hunter2@127.0.0.1:${await freePort()}/nowhere` }), /^upstage: DATABASE_URL postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/nowhere cannot be used \(ECONNREFUSED\): start PostgreSQL there or fix DATABASE_URL\.$/],
    ["REDIS_URL unreachable", async () => ({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` }), /^upstage: REDIS_URL redis:\/\/127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED\): start Redis there, or unset REDIS_URL for the in-process bus\.$/],
    ["an unknown upload handler", async () => ({ UPLOAD_HANDLERS: "limit,bogus,hash,store" }), /^upstage: UPLOAD_HANDLERS names unknown handlers: bogus\./],
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
  afterEach(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  return port;
}

async function aFile(): Promise<string> {
  const dir = await dataDir();
  const file = path.join(dir, "not-a-directory");
  await fs.writeFile(file, "");
  return file;
}
