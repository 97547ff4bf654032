import path from "node:path";
import pino, { type DestinationStream, type Logger } from "pino";
import sharp from "sharp";
import type { Config } from "../config.js";
import { SingleRunnerJob, type SingleRunnerResult, withSingleRunner } from "../db/withSingleRunner.js";
import { createImageQueue } from "../images/createImageQueue.js";
import { createMetrics, type Metrics } from "../observability/createMetrics.js";
import { requestLogFields } from "../observability/requestContext.js";
import { createRenderBudget } from "../staging/renditionPolicy.js";
import { type StagingDeps, stagingOptionsFrom } from "../staging/StagingDeps.js";
import { type Deletions, notifyDeletes } from "../storage/notifyDeletes.js";
import type { Storage } from "../storage/Storage.js";
import { createHandlerChain, type DoorSteps, type UploadHandlerFactory } from "../uploads/createHandlerChain.js";
import type { UploadHandler } from "../uploads/UploadHandler.js";
import { type DataDirLock, lockDataDir } from "./lockDataDir.js";
import { openStores, type Stores } from "./openStores.js";

export interface ServicesOptions {
  /** Where the JSON log lines go; stdout by default. */
  readonly logDestination?: DestinationStream | undefined;
  /** Wraps the storage that was opened (to observe it, or to inject faults in tests). */
  readonly wrapStorage?: ((storage: Storage) => Storage) | undefined;
  /** Upload handlers of the application's, by name, for UPLOAD_HANDLERS to list beside the built-in ones. */
  readonly uploadHandlers?: Readonly<Record<string, UploadHandlerFactory>> | undefined;
  /** The gauges of what only a server has; zero for a command. */
  readonly gauges?: { activeUploads(): number; activeSubscriptions(): number } | undefined;
}

/** What upstage works with, made once: for the server and the command-line tool alike. */
export interface Services {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly stores: Stores;
  /** The lock on DATA_DIR, held while the embedded database is open. */
  readonly dataDirLock: DataDirLock | undefined;
  readonly staging: StagingDeps;
  /** Every key staging deletes from the storage, as it goes. */
  readonly deletions: Deletions;
  /** The jobs one instance runs at a time (the others skip theirs): the sweeper's pass, and reconciliation. */
  readonly alone: {
    sweep<T>(run: () => Promise<T>): Promise<SingleRunnerResult<T>>;
    reconcile<T>(run: () => Promise<T>): Promise<SingleRunnerResult<T>>;
  };
  /** A fresh handler chain, from UPLOAD_HANDLERS, for one upload; a door may put its own step in place of a built-in one. */
  newUploadHandlers(door?: DoorSteps): UploadHandler[];
  close(): Promise<void>;
}

/**
 * The composition root: checks what can be checked before anything is opened
 * (the handler names), then opens the stores and builds the staging
 * dependencies. This is the one place that chooses implementations.
 * With the embedded database, DATA_DIR is locked first, for as long as the
 * services are open.
 * @throws UploadHandlersError for a bad UPLOAD_HANDLERS, before anything is opened.
 * @throws DataDirInUseError when another live process owns the embedded DATA_DIR.
 */
export async function openServices(config: Config, options: ServicesOptions = {}): Promise<Services> {
  const makeChain = createHandlerChain(config.uploads.handlers, options.uploadHandlers);
  // The embedded database belongs to one process: refuse before opening anything.
  const dataDirLock = config.databaseUrl ? undefined : await lockDataDir(config.dataDir);
  // JSON lines; each written while handling a request carries its reqId.
  const log = pino({ level: config.logLevel, mixin: requestLogFields }, options.logDestination ?? pino.destination(1));
  // Process-wide in libvips: set here, in the one place that chooses implementations.
  sharp.concurrency(config.images.threads);
  // libvips' operation cache keeps recent operations' outputs for reuse; every
  // upload is a new image, so it would only hold memory (up to 50 MB by default).
  sharp.cache(false);
  let stores: Stores;
  try {
    stores = await openStores(config, {
      wrapStorage: options.wrapStorage,
      // Pool warnings repeat what the failing query says; kept for debugging.
      onDatabaseWarning: (message) => log.debug({ knex: message }, "database warning"),
    });
  } catch (error) {
    await dataDirLock?.release();
    throw error;
  }
  const metrics = createMetrics(options.gauges ?? { activeUploads: () => 0, activeSubscriptions: () => 0 });
  const { storage, deletions } = notifyDeletes(stores.storage);
  const staging: StagingDeps = {
    knex: stores.database.knex,
    storage,
    scratch: stores.scratch,
    log,
    metrics,
    now: () => new Date(),
    options: stagingOptionsFrom(config),
    instance: path.basename(stores.scratch.dir),
    images: createImageQueue(config.images.concurrency),
    renderBudget: createRenderBudget(config.images.renditionsPerMinute),
  };
  const handlerDeps = {
    knex: stores.database.knex,
    scratch: stores.scratch,
    maxFileSize: config.uploads.maxFileSize,
    quotaBytes: config.uploads.quotaBytes,
    maxStagedPerUser: config.uploads.maxStagedPerUser,
  };
  return {
    config,
    log,
    metrics,
    stores,
    dataDirLock,
    staging,
    deletions,
    alone: {
      sweep: (run) => withSingleRunner(stores.database, SingleRunnerJob.Sweep, run),
      reconcile: (run) => withSingleRunner(stores.database, SingleRunnerJob.Reconcile, run),
    },
    newUploadHandlers: (door) => makeChain(handlerDeps, door),
    async close() {
      await stores.close();
      await dataDirLock?.release();
    },
  };
}
