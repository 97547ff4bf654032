import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { loadAuthSecret } from "../../src/auth/loadAuthSecret.js";
import { mintToken } from "../../src/auth/mintToken.js";
import { waitFor } from "./waitFor.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly graphqlUrl: string;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Everything it wrote to stderr and stdout. */
  output(): string;
  /**
   * Resolves once the server has logged a JSON line that `match` accepts (at
   * its LOG_LEVEL: "upload watched" is at debug); fails if it exits first.
   */
  logged(match: (entry: Record<string, unknown>) => boolean, what: string): Promise<void>;
}

/** A free port on loopback. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `npm start`'s entry: the sources through tsx. */
export const SOURCE_ENTRY: readonly string[] = ["--import", "tsx", "src/main.ts"];
/** `npm run start:prod`'s: what `npm run build` compiled. */
export const COMPILED_ENTRY: readonly string[] = ["dist/main.js"];

/**
 * What spawnServer starts when not told: the compiled server when
 * UPSTAGE_TEST_ENTRY=compiled (`npm test` sets it, having just built dist/
 * from these sources; it starts in two thirds of tsx's time), otherwise
 * `npm start`'s entry, so that a file run alone never meets a stale build.
 * `npm start`'s own entry is still started by every failedStart.
 */
const DEFAULT_ENTRY = process.env["UPSTAGE_TEST_ENTRY"] === "compiled" ? COMPILED_ENTRY : SOURCE_ENTRY;

/**
 * Starts the server as `npm start` does (or `entry`, say COMPILED_ENTRY; see DEFAULT_ENTRY), in
 * its own process (with `nodeArgs` for node itself), and waits until /healthz answers.
 */
export async function spawnServer(
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
  entry: readonly string[] = DEFAULT_ENTRY,
): Promise<ServerProcess> {
  if (env["PORT"]) return spawnOn(env["PORT"], env, nodeArgs, entry);
  // A port found free is free no longer once another process takes it before
  // the child binds it: then the child says so, and another port is tried.
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnOn(String(await freePort()), env, nodeArgs, entry);
    } catch (error) {
      if (attempt === 3 || !(error as Error).message.includes("is in use by another process")) throw error;
    }
  }
}

async function spawnOn(
  port: string,
  env: Record<string, string>,
  nodeArgs: readonly string[],
  entry: readonly string[],
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, ...entry], {
    cwd: root,
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", LOG_LEVEL: "warn", HOST: "127.0.0.1", ...env, PORT: port },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  const url = `http://127.0.0.1:${port}`;
  const running = () => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error("the server exited early");
  };
  const withOutput = (error: unknown) => new Error(`${(error as Error).message}; it wrote:\n${output}`, { cause: error });
  try {
    await waitFor(
      async () => {
        running();
        return fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
      },
      "the server answers /healthz",
      30_000,
    );
  } catch (error) {
    child.kill("SIGKILL");
    throw withOutput(error);
  }
  const entries = () =>
    output.split("\n").flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  const logged = (match: (entry: Record<string, unknown>) => boolean, what: string) =>
    waitFor(() => {
      running();
      return entries().some(match);
    }, `the server logs ${what}`).catch((error: unknown) => {
      throw withOutput(error);
    });
  return { child, url, graphqlUrl: `${url}/graphql`, exited, output: () => output, logged };
}

/** A token signed with the development secret a spawned server keeps in `dataDir`. */
export async function tokenFor(dataDir: string, username: string): Promise<string> {
  const secret = await loadAuthSecret({ authSecret: undefined, dataDir });
  return mintToken(secret.key, username);
}

/** Runs `npm start` (the sources, as SOURCE_ENTRY) expecting it to refuse: its exit code and everything it printed. */
export function failedStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, SOURCE_ENTRY, {
      cwd: root,
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", LOG_LEVEL: "warn", HOST: "127.0.0.1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    child.once("exit", (code) => resolve({ code, output }));
  });
}
