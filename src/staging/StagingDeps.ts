import type { Knex } from "knex";
import type { Logger } from "pino";
import type { Config, JpegEncoder, ThumbnailPreset } from "../config.js";
import type { ImageQueue } from "../images/createImageQueue.js";
import type { Metrics } from "../observability/createMetrics.js";
import type { Scratch } from "../storage/createScratch.js";
import type { Storage } from "../storage/Storage.js";
import type { RenderBudget } from "./renditionPolicy.js";

/** What the staging operations work with; made once in `server/createServer.ts`. */
export interface StagingDeps {
  readonly knex: Knex;
  readonly storage: Storage;
  readonly scratch: Scratch;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly now: () => Date;
  readonly options: StagingOptions;
  /** This process, as the intent log names it (its scratch directory's name). */
  readonly instance: string;
  /** Where image work (sharp) waits its turn: first come, first served, IMAGE_CONCURRENCY at a time. */
  readonly images: ImageQueue;
  /** New on-demand renditions per user and minute (RENDITIONS_PER_MINUTE). */
  readonly renderBudget: RenderBudget;
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
  /** The rendition policy for on-demand sizes (renditionPolicy.ts). */
  readonly renditions: { readonly widths: readonly number[]; readonly maxPerImage: number; readonly perMinute: number };
  /** How JPEGs are written (JPEG_ENCODER). */
  readonly jpegEncoder: JpegEncoder;
  /** Staged images a user may hold, not yet committed (MAX_STAGED_PER_USER). */
  readonly maxStagedPerUser: number;
  /** Bytes of staged and committed images a user may hold (QUOTA_BYTES). */
  readonly quotaBytes: number;
  /** Photos a user may have (MAX_PHOTOS_PER_USER). */
  readonly maxPhotosPerUser: number;
}

/** The staging options a configuration sets. */
export function stagingOptionsFrom(config: Config): StagingOptions {
  return {
    ttlSeconds: config.staging.ttlSeconds,
    maxFileSize: config.uploads.maxFileSize,
    maxPixels: config.images.maxPixels,
    maxDimension: config.images.maxDimension,
    presets: config.images.presets,
    thumbnailMaxSize: config.images.thumbnailMaxSize,
    renditions: {
      widths: config.images.renditionWidths,
      maxPerImage: config.images.maxRenditionsPerImage,
      perMinute: config.images.renditionsPerMinute,
    },
    jpegEncoder: config.images.jpegEncoder,
    maxStagedPerUser: config.uploads.maxStagedPerUser,
    quotaBytes: config.uploads.quotaBytes,
    maxPhotosPerUser: config.maxPhotosPerUser,
  };
}
