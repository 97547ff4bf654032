// The operator's tool (`npm run cli -- <command>`, src/cli/upstage.ts), as a
// function of its arguments, environment and output streams, so that tests run
// it in-process. Every command reads the same environment as the server
// (DATABASE_URL, STORAGE, S3_*, DATA_DIR, …).
import http from "node:http";
import path from "node:path";
import type { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { restoreDataDir } from "../app/backupDataDir.js";
import { DataDirInUseError, dataDirFiles, lockDataDir } from "../app/lockDataDir.js";
import { openServices, type Services } from "../app/openServices.js";
import { isOperatorCommand, type OperatorCommandName, type OperatorCommandOptions, runOperatorCommand } from "../app/operatorCommands.js";
import { loadAuthSecret } from "../auth/loadAuthSecret.js";
import { mintToken } from "../auth/mintToken.js";
import { type Config, ConfigError, loadConfig } from "../config.js";

const USAGE = `Usage: npm run cli -- <command> [options]

  migrate                                   apply pending database migrations
  token <username> [--expires 30d] [--admin]
                                            print a bearer token signed with the server's secret
                                            (--admin: with the admin role, in ADMIN_ROLE_CLAIM)
  sweep                                     one sweeper pass: expired staged images, unfinished deletions
  reconcile [--dry-run] [--grace 3600]      rows without files, and files without rows older than --grace seconds
  stats                                     totals of users, images by status, thumbnails, photos, resumable uploads
  backup <dir>                              a consistent snapshot of the embedded database, media and secret
                                            (while the server runs, too)
  restore <dir> [--replace]                 puts a backup back into DATA_DIR (server stopped); --replace moves
                                            the current database and media aside first
  regenerate-thumbnails [--batch 50] [--after <imageId>]
                                            make every missing preset thumbnail (after THUMBNAIL_PRESETS changed);
                                            prints a cursor per batch: --after resumes from it

Commands that change things take PostgreSQL's advisory locks, so they never
run beside a running instance's sweeper or start-up reconciliation. With the
embedded database, a running server owns DATA_DIR: the command is sent to it
(over DATA_DIR/upstage.sock) and runs there.`;

/** A usage mistake: the message, then the usage, and exit code 2. */
class UsageError extends Error {}

function options<T extends Record<string, { type: "string" | "boolean"; default?: string | boolean }>>(
  args: string[],
  spec: T,
  positionals = 0,
) {
  try {
    const parsed = parseArgs({ args, options: spec, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length > positionals) throw new UsageError(`Unexpected argument: ${parsed.positionals[positionals]}`);
    return parsed;
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError((error as Error).message);
  }
}

function positiveInteger(name: string, value: string | undefined): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new UsageError(`--${name} takes a whole number, not ${JSON.stringify(value)}.`);
  return number;
}

/** A bearer token signed with the server's secret: needs no database, so it runs beside a server too. */
async function token(args: string[], config: Config): Promise<string> {
  const { values, positionals } = options(
    args,
    { expires: { type: "string", default: "30d" }, admin: { type: "boolean", default: false } },
    1,
  );
  const [username] = positionals;
  if (!username) throw new UsageError("token needs a username.");
  const secret = await loadAuthSecret(config);
  return mintToken(secret.key, username, { expiresIn: values.expires!, admin: values.admin!, roleClaim: config.adminRoleClaim });
}

/** A command that takes no options: any it is given is refused. */
function noOptions(args: string[]): Record<string, never> {
  options(args, {});
  return {};
}

/** Parses a store command's arguments into its options. */
const storeCommands: { [N in OperatorCommandName]: (args: string[]) => OperatorCommandOptions[N] } = {
  migrate: (args) => noOptions(args),
  sweep: (args) => noOptions(args),
  stats: (args) => noOptions(args),
  reconcile(args) {
    const { values } = options(args, { "dry-run": { type: "boolean", default: false }, grace: { type: "string", default: "3600" } });
    return { graceMs: positiveInteger("grace", values.grace) * 1000, dryRun: values["dry-run"]! };
  },
  backup(args) {
    const { positionals } = options(args, {}, 1);
    if (!positionals[0]) throw new UsageError("backup needs a directory to write to.");
    // The server may run it: its working directory may not be ours.
    return { dir: path.resolve(positionals[0]) };
  },
  "regenerate-thumbnails"(args) {
    const { values } = options(args, { batch: { type: "string", default: "50" }, after: { type: "string" } });
    const batchSize = positiveInteger("batch", values.batch);
    if (batchSize === 0) throw new UsageError("--batch must be at least 1.");
    if (values.after !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(values.after)) {
      throw new UsageError("--after takes an image id, as a previous run printed it.");
    }
    return { batchSize, after: values.after };
  },
};

/**
 * Runs a store command on services of its own; while a server owns the
 * embedded DATA_DIR, asks that server to run it instead (over
 * DATA_DIR/upstage.sock), so the embedded files are never opened twice.
 */
async function runStoreCommand<N extends OperatorCommandName>(
  config: Config,
  name: N,
  commandOptions: OperatorCommandOptions[N],
  stderr: Writable,
): Promise<unknown> {
  const note = (line: string) => void stderr.write(`${line}\n`);
  let services: Services;
  try {
    // Logs to stderr: stdout carries the command's answer.
    services = await openServices(config, { logDestination: stderr });
  } catch (error) {
    if (!(error instanceof DataDirInUseError)) throw error;
    return askRunningServer(dataDirFiles(config.dataDir).commandSocket, name, commandOptions, note, error);
  }
  try {
    return await runOperatorCommand(services, name, commandOptions, note);
  } finally {
    await services.close();
  }
}

/** The running server's answer to a command; the holder's refusal when no server answers. */
function askRunningServer(
  socketPath: string,
  name: string,
  body: unknown,
  note: (line: string) => void,
  inUse: DataDirInUseError,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { socketPath, path: `/commands/${name}`, method: "POST", headers: { "content-type": "application/json" } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const answer = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { result?: unknown; error?: string; notes?: string[] };
          for (const line of answer.notes ?? []) note(line);
          if (response.statusCode === 200) resolve(answer.result);
          else reject(new Error(answer.error ?? `The running server refused ${name}.`));
        });
      },
    );
    // The holder is not a server (another command, say): say who holds it.
    request.on("error", () => reject(inUse));
    request.end(JSON.stringify(body));
  });
}

/**
 * Puts a backup back: only with DATA_DIR to itself (no server running), so
 * the lock is taken here and a running server is named instead.
 */
async function restore(args: string[], config: Config): Promise<unknown> {
  const { values, positionals } = options(args, { replace: { type: "boolean", default: false } }, 1);
  if (!positionals[0]) throw new UsageError("restore needs the directory a backup wrote.");
  const lock = await lockDataDir(config.dataDir);
  try {
    return await restoreDataDir(config, positionals[0], { replace: values.replace! });
  } finally {
    await lock.release();
  }
}

/** Where a run of the tool reads its environment and writes its answer and notes. */
export interface CliStreams {
  /** The environment its configuration is read from; the process's by default (src/config.ts). */
  readonly env?: Record<string, string | undefined>;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/**
 * Runs one command line of the operator's tool (`argv` without node and the
 * script) and resolves with its exit code: 0 done, 1 failed (the reason on
 * stderr), 2 asked wrongly (the usage on stderr). Never throws.
 */
export async function upstageCli(argv: readonly string[], { env, stdout, stderr }: CliStreams): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const config = loadConfig(env);
    let result: unknown;
    if (name === "token") result = await token(args, config);
    else if (name === "restore") result = await restore(args, config);
    else if (isOperatorCommand(name)) result = await runStoreCommand(config, name, storeCommands[name](args), stderr);
    else throw new UsageError(`Unknown command: ${name}`);
    stdout.write(typeof result === "string" ? `${result}\n` : `${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      stderr.write(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    stderr.write(`${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
