// `npm run cli -- <command>`: the operator's tool. Every command reads the
// same environment as the server (DATABASE_URL, STORAGE, S3_*, DATA_DIR, …).
import { parseArgs } from "node:util";
import { loadAuthSecret } from "../auth/loadAuthSecret.js";
import { mintToken } from "../auth/mintToken.js";
import { ConfigError, loadConfig, type Config } from "../config.js";
import { createDatabase } from "../db/createDatabase.js";
import { readStats } from "../db/statsQueries.js";
import { SingleRunnerJob, withSingleRunner } from "../db/withSingleRunner.js";
import { createSweeper } from "../staging/createSweeper.js";
import { reconcileStorage } from "../staging/reconcileStorage.js";
import { regeneratePresets } from "../staging/regeneratePresets.js";
import { openStaging } from "./openStaging.js";

const USAGE = `Usage: npm run cli -- <command> [options]

  migrate                                   apply pending database migrations
  token <username> [--expires 30d]          print a bearer token signed with the server's secret
  sweep                                     one sweeper pass: expired staged images, unfinished deletions
  reconcile [--dry-run] [--grace 3600]      rows without files, and files without rows older than --grace seconds
  stats                                     totals of users, images by status, thumbnails
  regenerate-thumbnails [--batch 50] [--after <imageId>]
                                            make every missing preset thumbnail (after THUMBNAIL_PRESETS changed);
                                            prints a cursor per batch: --after resumes from it

Commands that change things take PostgreSQL's advisory locks, so they never
run beside a running instance's sweeper or start-up reconciliation.`;

/** A usage mistake: the message, then the usage, and exit code 2. */
class UsageError extends Error {}

type Command = (args: string[], config: Config) => Promise<unknown>;

function options<T extends Record<string, { type: "string" | "boolean"; default?: string | boolean }>>(args: string[], spec: T, positionals = 0) {
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

const commands: Record<string, Command> = {
  async migrate(args, config) {
    options(args, {});
    const database = await createDatabase(config);
    try {
      const applied = await database.migrate();
      return { database: database.kind, applied };
    } finally {
      await database.close();
    }
  },

  async token(args, config) {
    const { values, positionals } = options(args, { expires: { type: "string", default: "30d" } }, 1);
    const [username] = positionals;
    if (!username) throw new UsageError("token needs a username.");
    const secret = await loadAuthSecret(config);
    return mintToken(secret.key, username, { expiresIn: values.expires! });
  },

  async sweep(args, config) {
    options(args, {});
    const { stores, staging } = await openStaging(config);
    try {
      const sweeper = createSweeper(staging, { intervalSeconds: 0, exclusive: (run) => withSingleRunner(stores.database, SingleRunnerJob.Sweep, run) });
      return await sweeper.sweep();
    } finally {
      await stores.close();
    }
  },

  async reconcile(args, config) {
    const { values } = options(args, { "dry-run": { type: "boolean", default: false }, grace: { type: "string", default: "3600" } });
    const graceMs = positiveInteger("grace", values.grace) * 1000;
    const { stores, staging } = await openStaging(config);
    try {
      const run = await withSingleRunner(stores.database, SingleRunnerJob.Reconcile, () =>
        reconcileStorage(staging, { graceMs, dryRun: values["dry-run"]! }),
      );
      if (!run.ran) throw new Error("Another instance is reconciling now; try again in a moment.");
      return { dryRun: values["dry-run"], ...run.result };
    } finally {
      await stores.close();
    }
  },

  async stats(args, config) {
    options(args, {});
    const { stores } = await openStaging(config);
    try {
      return await readStats(stores.database.knex);
    } finally {
      await stores.close();
    }
  },

  async "regenerate-thumbnails"(args, config) {
    const { values } = options(args, { batch: { type: "string", default: "50" }, after: { type: "string" } });
    const batchSize = positiveInteger("batch", values.batch);
    if (batchSize === 0) throw new UsageError("--batch must be at least 1.");
    if (values.after !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(values.after)) {
      throw new UsageError("--after takes an image id, as a previous run printed it.");
    }
    const { stores, staging } = await openStaging(config);
    try {
      const images = await regeneratePresets(staging, {
        batchSize,
        after: values.after,
        onBatch: ({ images, lastId }) => process.stderr.write(`${images} images done; resume with --after ${lastId}\n`),
      });
      return { images, presets: config.images.presets };
    } finally {
      await stores.close();
    }
  },
};

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    console.log(USAGE);
    return;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`Unknown command: ${name}`);
  const result = await command(args, loadConfig(process.env));
  process.stdout.write(typeof result === "string" ? `${result}\n` : `${JSON.stringify(result, null, 2)}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
  process.exit(1);
});
