import os from "node:os";
import path from "node:path";
import { z } from "zod";

/** A thumbnail size made at stage time, e.g. `125x125`. */
export interface ThumbnailPreset {
  readonly width: number;
  readonly height: number;
}

const MiB = 1024 * 1024;

/** The built-in upload handlers, in their default order (UPLOAD_HANDLERS). */
const DEFAULT_UPLOAD_HANDLERS: readonly string[] = ["limit", "sniff", "quota", "hash", "store"];

const integer = (min: number) => z.coerce.number().int().min(min);

const presetList = z.string().transform((value, ctx): ThumbnailPreset[] => {
  const presets: ThumbnailPreset[] = [];
  for (const item of value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^(\d+)x(\d+)$/.exec(item);
    if (!match) {
      ctx.addIssue({ code: "custom", message: `Expected WIDTHxHEIGHT (like 125x125) but received "${item}"` });
      return z.NEVER;
    }
    presets.push({ width: Number(match[1]), height: Number(match[2]) });
  }
  return presets;
});

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: integer(0).max(65535).default(4000),
  HOST: z.string().default("0.0.0.0"),
  PUBLIC_URL: z.url().optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  DATABASE_URL: z.url().optional(),
  AUTH_SECRET: z.string().min(32, "AUTH_SECRET must be at least 32 characters").optional(),
  AUTH_ALLOW_NO_EXPIRY: z.enum(["true", "false"]).default("false"),
  REDIS_URL: z.url().optional(),
  MAX_FILE_SIZE: integer(1).default(20 * MiB),
  QUOTA_BYTES: integer(1).default(200 * MiB),
  MAX_PHOTOS_PER_USER: integer(1).default(1000),
  MAX_STAGED_PER_USER: integer(1).default(50),
  ADMIN_ROLE_CLAIM: z.string().min(1).default("roles"),
  UPLOAD_HANDLERS: z
    .string()
    .transform((value) =>
      value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .default([...DEFAULT_UPLOAD_HANDLERS]),
  UPLOAD_IDLE_TIMEOUT: integer(1).default(30),
  RESUMABLE_TTL: integer(60).default(24 * 60 * 60),
  DIRECT_UPLOAD_TTL: integer(1)
    .max(604_800)
    .default(15 * 60),
  RESUMABLE_DIR: z.string().min(1).optional(),
  UPLOAD_WAIT_TIMEOUT: integer(1).default(300),
  MAX_CONCURRENT_UPLOADS: integer(1).default(4),
  MAX_SUBSCRIPTIONS_PER_CONNECTION: integer(1).default(20),
  MAX_SOCKETS_PER_USER: integer(1).default(10),
  SHUTDOWN_GRACE: integer(0).default(10),
  MAX_PIXELS: integer(1).default(50_000_000),
  MAX_DIMENSION: integer(16).default(2048),
  IMAGE_THREADS: integer(1).default(os.availableParallelism()),
  IMAGE_CONCURRENCY: integer(1).default(os.availableParallelism()),
  JPEG_ENCODER: z.enum(["libjpeg-turbo", "mozjpeg"]).default("libjpeg-turbo"),
  UV_THREADPOOL_SIZE: integer(1).max(1024).optional(),
  STAGE_TTL: integer(1).default(900),
  THUMBNAIL_PRESETS: presetList.default([
    { width: 125, height: 125 },
    { width: 200, height: 200 },
  ]),
  THUMBNAIL_MAX_SIZE: integer(1).default(1024),
  RENDITION_WIDTHS: z
    .string()
    .transform((value, ctx) => {
      const widths = value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
        .map(Number);
      if (widths.length === 0 || widths.some((w) => !Number.isInteger(w) || w < 1)) {
        ctx.addIssue({ code: "custom", message: "a comma-separated list of whole widths in pixels, such as 64,128,256" });
        return z.NEVER;
      }
      return [...new Set(widths)].sort((a, b) => a - b);
    })
    .default([16, 32, 48, 64, 80, 96, 128, 160, 192, 256, 320, 384, 480, 640, 768, 960, 1024]),
  MAX_RENDITIONS_PER_IMAGE: integer(1).default(48),
  RENDITIONS_PER_MINUTE: integer(1).default(120),
  SWEEP_INTERVAL: integer(1).default(60),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  STORAGE: z.enum(["local", "s3"]).default("local"),
  S3_BUCKET: z.string().min(1).optional(),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_FORCE_PATH_STYLE: z.enum(["true", "false"]).optional(),
  S3_PUBLIC_URL: z.url().optional(),
  S3_URL_EXPIRY: integer(1).max(604_800).default(3600),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
});

/** Where image files live. */
export type StorageConfig =
  | { readonly kind: "local" }
  | {
      readonly kind: "s3";
      readonly bucket: string;
      /** An S3-compatible endpoint (MinIO, R2, …); AWS's own when unset. */
      readonly endpoint: string | undefined;
      readonly region: string;
      /** `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key`. */
      readonly forcePathStyle: boolean;
      /** Public base URL of the bucket's objects; presigned URLs when unset. */
      readonly publicUrl: string | undefined;
      /** Seconds a presigned URL stays valid. */
      readonly urlExpirySeconds: number;
      /** From the standard AWS variables; the SDK's own provider chain (profiles, instance roles) when unset. */
      readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string } | undefined;
    };

/** The whole configuration of one server, validated. Only this module reads the environment. */
export interface Config {
  readonly env: "development" | "production" | "test";
  readonly port: number;
  readonly host: string;
  /** Base of every absolute URL in responses; no trailing slash. Derived from the port when unset. */
  readonly publicUrl: string | undefined;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  /** Redis for the progress bus; the in-process bus when unset. */
  readonly redisUrl: string | undefined;
  /** HS256 key; generated and kept in `dataDir` when unset. */
  readonly authSecret: string | undefined;
  /** Accept tokens without `exp`. */
  readonly authAllowNoExpiry: boolean;
  /** The token claim whose list of roles makes an admin when it holds "admin". */
  readonly adminRoleClaim: string;
  readonly uploads: {
    /** Bytes per uploaded file. */
    readonly maxFileSize: number;
    /** Bytes of staged plus committed images per user. */
    readonly quotaBytes: number;
    /** Staged images a user may hold, not yet committed. */
    readonly maxStagedPerUser: number;
    /** The upload handler chain, in order, by name. */
    readonly handlers: readonly string[];
    /** Seconds an upload's body may stall before the request is dropped. */
    readonly idleTimeoutSeconds: number;
    /** Seconds a progress subscription waits for its upload to begin. */
    readonly waitTimeoutSeconds: number;
    /** Uploads one user may have in flight on one instance. */
    readonly maxConcurrentPerUser: number;
    /** Seconds an incomplete resumable (tus) upload is kept from its creation. */
    readonly resumableTtlSeconds: number;
    /** Seconds a direct upload's presigned URL works (S3's limit is 7 days); it may be staged for 5 minutes more. */
    readonly directUploadTtlSeconds: number;
    /** Where tus keeps incomplete uploads: DATA_DIR/resumable, or a directory every instance shares. */
    readonly resumableDir: string;
  };
  /** Subscriptions one WebSocket may hold at once. */
  readonly maxSubscriptionsPerConnection: number;
  /** WebSockets one user may hold open at once, per instance. */
  readonly maxSocketsPerUser: number;
  /** Seconds `stop()` lets running uploads finish before it cuts them. */
  readonly shutdownGraceSeconds: number;
  readonly images: {
    /** Decoded pixels (width × height) an input may declare. */
    readonly maxPixels: number;
    /** Longest side of a stored original, in pixels; larger ones are scaled down. */
    readonly maxDimension: number;
    readonly presets: readonly ThumbnailPreset[];
    /** Largest width or height of an on-demand thumbnail, in pixels. */
    readonly thumbnailMaxSize: number;
    /** The sizes an on-demand rendition snaps up to (RENDITION_WIDTHS), smallest first. */
    readonly renditionWidths: readonly number[];
    /** On-demand renditions kept per image; the least recently used go first (MAX_RENDITIONS_PER_IMAGE). */
    readonly maxRenditionsPerImage: number;
    /** New on-demand renditions one user may cause per minute, per instance (RENDITIONS_PER_MINUTE). */
    readonly renditionsPerMinute: number;
    /** libvips threads per image (sharp.concurrency); sharp's own default on glibc is 1. */
    readonly threads: number;
    /** Images processed at once (the queue); the rest wait their turn, first come first served. */
    readonly concurrency: number;
    /** How JPEGs are written: libjpeg-turbo (fast, the default) or mozjpeg (smaller, several times the CPU). */
    readonly jpegEncoder: JpegEncoder;
  };
  /** Photos a user may have. */
  readonly maxPhotosPerUser: number;
  readonly staging: {
    /** Seconds a staged image lives before the sweeper removes it. */
    readonly ttlSeconds: number;
    /** Seconds between sweeps. */
    readonly sweepIntervalSeconds: number;
  };
  readonly logLevel: string;
  readonly storage: StorageConfig;
  /** libuv's thread pool size: set by the operator, or made room for the image queue. */
  readonly threadPoolSize: number;
}

/** The JPEG encoders JPEG_ENCODER names. */
export type JpegEncoder = "libjpeg-turbo" | "mozjpeg";

/** Thrown when the environment holds a bad value; the message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * Reads and validates the configuration from an environment map.
 * @throws ConfigError naming each variable that is malformed.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = EnvSchema.safeParse(defined);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  if (e.THUMBNAIL_PRESETS.some((p) => p.width > e.THUMBNAIL_MAX_SIZE || p.height > e.THUMBNAIL_MAX_SIZE || !p.width || !p.height)) {
    throw new ConfigError(
      `Invalid configuration:\n  THUMBNAIL_PRESETS: every size must be between 1 and THUMBNAIL_MAX_SIZE (${e.THUMBNAIL_MAX_SIZE})`,
    );
  }
  if (e.STORAGE === "s3" && !e.S3_BUCKET) throw new ConfigError("Invalid configuration:\n  S3_BUCKET: required when STORAGE=s3");
  if (Boolean(e.AWS_ACCESS_KEY_ID) !== Boolean(e.AWS_SECRET_ACCESS_KEY)) {
    throw new ConfigError("Invalid configuration:\n  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: set both or neither");
  }
  const storage: StorageConfig =
    e.STORAGE === "s3"
      ? {
          kind: "s3",
          bucket: e.S3_BUCKET!,
          endpoint: e.S3_ENDPOINT,
          region: e.S3_REGION,
          forcePathStyle: e.S3_FORCE_PATH_STYLE ? e.S3_FORCE_PATH_STYLE === "true" : e.S3_ENDPOINT !== undefined,
          publicUrl: e.S3_PUBLIC_URL?.replace(/\/+$/, ""),
          urlExpirySeconds: e.S3_URL_EXPIRY,
          credentials:
            e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
              ? {
                  accessKeyId: e.AWS_ACCESS_KEY_ID,
                  secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
                  ...(e.AWS_SESSION_TOKEN ? { sessionToken: e.AWS_SESSION_TOKEN } : {}),
                }
              : undefined,
        }
      : { kind: "local" };
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ""),
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    authSecret: e.AUTH_SECRET,
    authAllowNoExpiry: e.AUTH_ALLOW_NO_EXPIRY === "true",
    adminRoleClaim: e.ADMIN_ROLE_CLAIM,
    uploads: {
      maxFileSize: e.MAX_FILE_SIZE,
      quotaBytes: e.QUOTA_BYTES,
      maxStagedPerUser: e.MAX_STAGED_PER_USER,
      handlers: e.UPLOAD_HANDLERS,
      idleTimeoutSeconds: e.UPLOAD_IDLE_TIMEOUT,
      waitTimeoutSeconds: e.UPLOAD_WAIT_TIMEOUT,
      maxConcurrentPerUser: e.MAX_CONCURRENT_UPLOADS,
      resumableTtlSeconds: e.RESUMABLE_TTL,
      directUploadTtlSeconds: e.DIRECT_UPLOAD_TTL,
      resumableDir: path.resolve(e.RESUMABLE_DIR ?? path.join(e.DATA_DIR, "resumable")),
    },
    maxSubscriptionsPerConnection: e.MAX_SUBSCRIPTIONS_PER_CONNECTION,
    maxSocketsPerUser: e.MAX_SOCKETS_PER_USER,
    shutdownGraceSeconds: e.SHUTDOWN_GRACE,
    images: {
      maxPixels: e.MAX_PIXELS,
      maxDimension: e.MAX_DIMENSION,
      presets: e.THUMBNAIL_PRESETS,
      thumbnailMaxSize: e.THUMBNAIL_MAX_SIZE,
      renditionWidths: e.RENDITION_WIDTHS.filter((w) => w <= e.THUMBNAIL_MAX_SIZE),
      maxRenditionsPerImage: e.MAX_RENDITIONS_PER_IMAGE,
      renditionsPerMinute: e.RENDITIONS_PER_MINUTE,
      threads: e.IMAGE_THREADS,
      concurrency: e.IMAGE_CONCURRENCY,
      jpegEncoder: e.JPEG_ENCODER,
    },
    maxPhotosPerUser: e.MAX_PHOTOS_PER_USER,
    staging: { ttlSeconds: e.STAGE_TTL, sweepIntervalSeconds: e.SWEEP_INTERVAL },
    logLevel: e.LOG_LEVEL,
    storage,
    // Each image job may hold a few pool threads (sharp runs its pipelines there);
    // the rest keep file system calls and health checks moving.
    threadPoolSize: e.UV_THREADPOOL_SIZE ?? Math.min(128, Math.max(8, e.IMAGE_CONCURRENCY * 3 + 4)),
  };
}

/**
 * Sizes libuv's thread pool for this configuration. Node reads
 * UV_THREADPOOL_SIZE when the pool first starts, so this must run before the
 * first file system call or image job: first thing in `main`.
 */
export function sizeThreadPool(config: Config, env: Record<string, string | undefined> = process.env): void {
  env["UV_THREADPOOL_SIZE"] = String(config.threadPoolSize);
}
