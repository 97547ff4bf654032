import { readStats } from "../db/statsQueries.js";
import { createSweeper, reconcileStorage } from "../staging/sweeping.js";
import { regeneratePresets } from "../staging/thumbnails.js";
import { backupDataDir } from "./backupDataDir.js";
import type { Services } from "./openServices.js";

/** The operator's commands that work on the stores, with their options (already checked). */
export interface OperatorCommandOptions {
  migrate: Record<string, never>;
  sweep: Record<string, never>;
  reconcile: { graceMs: number; dryRun: boolean };
  stats: Record<string, never>;
  "regenerate-thumbnails": { batchSize: number; after: string | undefined };
  backup: { dir: string };
}
export type OperatorCommandName = keyof OperatorCommandOptions;

type Commands = {
  [N in OperatorCommandName]: (services: Services, options: OperatorCommandOptions[N], note: (line: string) => void) => Promise<unknown>;
};

/**
 * Run by the command-line tool on services of its own, or, while a server
 * owns the embedded DATA_DIR, by that server on its services (the CLI asks it
 * over DATA_DIR/upstage.sock): the same code either way.
 */
export const operatorCommands: Commands = {
  async migrate(services) {
    // Opening the stores applies what is pending (and a running server has at its start).
    return { database: services.stores.database.kind, applied: services.stores.migrated };
  },

  async sweep({ staging, alone }) {
    const sweeper = createSweeper(staging, { intervalSeconds: 0, exclusive: alone.sweep });
    return sweeper.sweep();
  },

  async reconcile({ staging, alone }, options) {
    const run = await alone.reconcile(() => reconcileStorage(staging, options));
    if (!run.ran) throw new Error("Another instance is reconciling now; try again in a moment.");
    return { dryRun: options.dryRun, ...run.result };
  },

  stats: ({ stores }) => readStats(stores.database.knex),

  async "regenerate-thumbnails"(services, options, note) {
    const images = await regeneratePresets(services.staging, {
      ...options,
      onBatch: ({ images, lastId }) => note(`${images} images done; resume with --after ${lastId}`),
    });
    return { images, presets: services.config.images.presets };
  },

  backup: (services, options) => backupDataDir(services, options.dir),
};

export function isOperatorCommand(name: string): name is OperatorCommandName {
  return Object.hasOwn(operatorCommands, name);
}

/** Runs one command by name. */
export function runOperatorCommand<N extends OperatorCommandName>(
  services: Services,
  name: N,
  options: OperatorCommandOptions[N],
  note: (line: string) => void = () => {},
): Promise<unknown> {
  return operatorCommands[name](services, options, note);
}
