import type { Knex } from "knex";
import type { Logger } from "pino";
import type { ThumbnailPreset } from "../config.js";
import type { Storage } from "../storage/Storage.js";
import type { Scratch } from "../storage/createScratch.js";

/** What the staging operations work with; made once in `server/createServer.ts`. */
export interface StagingDeps {
  readonly knex: Knex;
  readonly storage: Storage;
  readonly scratch: Scratch;
  readonly log: Logger;
  readonly now: () => Date;
  readonly options: StagingOptions;
}

export interface StagingOptions {
  /** Seconds a staged image lives. */
  readonly ttlSeconds: number;
  /** Bytes per upload. */
  readonly maxFileSize: number;
  /** Pixels an input may declare. */
  readonly maxPixels: number;
  /** Longest side of a stored original, in pixels. */
  readonly maxDimension: number;
  readonly presets: readonly ThumbnailPreset[];
  /** Largest on-demand thumbnail side, in pixels. */
  readonly thumbnailMaxSize: number;
}
