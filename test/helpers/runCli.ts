import { execFile } from "node:child_process";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { upstageCli } from "../../src/cli/upstageCli.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `npm run cli -- <args>` in this process, with `env` and nothing else of
 * the test's environment: the same code as the command, without a process to
 * start. A server running on the same DATA_DIR is still another process, and
 * the command still goes to it over its socket.
 */
export async function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const stdout = collected();
  const stderr = collected();
  const code = await upstageCli(args, { env: { LOG_LEVEL: "warn", ...env }, stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Runs `npm run cli -- <args>` as its own process: for what only a process shows (its exit code). */
export async function spawnCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "src/cli/upstage.ts", ...args], {
      cwd: root,
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", LOG_LEVEL: "warn", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A stream that keeps what is written to it. */
function collected(): { stream: Writable; text(): string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}
