import pino from "pino";
import type { Config } from "../config.js";
import { createMetrics } from "../observability/createMetrics.js";
import { openStores, type Stores } from "../server/openStores.js";
import { stagingOptionsFrom, type StagingDeps } from "../staging/StagingDeps.js";

/** The stores and the staging operations' dependencies, for a command that works on them without serving. */
export async function openStaging(config: Config): Promise<{ stores: Stores; staging: StagingDeps }> {
  const stores = await openStores(config);
  const staging: StagingDeps = {
    knex: stores.database.knex,
    storage: stores.storage,
    scratch: stores.scratch,
    // Logs to stderr: stdout carries the command's answer.
    log: pino({ level: config.logLevel }, pino.destination(2)),
    metrics: createMetrics({ activeUploads: () => 0, activeSubscriptions: () => 0 }),
    now: () => new Date(),
    options: stagingOptionsFrom(config),
  };
  return { stores, staging };
}
