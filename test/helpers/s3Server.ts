import fs from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import S3rver from "@20minutes/s3rver";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";

export interface TestS3Server {
  readonly endpoint: string;
  readonly bucket: string;
  /** Where s3rver keeps the objects on disk (a test may watch it). */
  readonly directory: string;
  /** The environment that points a server at this bucket. */
  readonly env: Record<string, string>;
  /** Every key in the bucket. */
  keys(): Promise<string[]>;
  stop(): Promise<void>;
}

const ACCESS_KEY = "S3RVER"; // s3rver's fixed development credentials

/**
 * s3rver keeps a key's "directories" as real ones, and its DELETE removes
 * each that it leaves empty (`rm -r`). A PUT under the same prefix at that
 * moment has made the directory but not yet its file: the file goes with the
 * directory (the PUT still answers 200, and a HEAD then finds nothing) or
 * cannot be opened (500). S3 has no directories; here DELETE leaves them.
 */
function keepDirectoriesOnDelete(): void {
  type FilesystemStore = {
    prototype: { deleteObject(bucket: string, key: string): Promise<void>; getResourcePath(...parts: string[]): string };
  };
  const store = createRequire(import.meta.url)("@20minutes/s3rver/lib/stores/filesystem.js") as FilesystemStore;
  store.prototype.deleteObject = async function (bucket: string, key: string) {
    await Promise.all(
      ["object", "object.md5", "metadata.json"].map((kind) =>
        fs.unlink(this.getResourcePath(bucket, key, kind)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== "ENOENT") throw error;
        }),
      ),
    );
  };
}

/**
 * An S3-compatible server (s3rver) on a free loopback port, with one empty
 * bucket, its data in a temp directory. `strictSignatures` checks every
 * signature (a presigned PUT's signed Content-Length, say); s3rver then also
 * refuses the SDK's correct signatures of bucket-level requests (listings).
 * `corsOrigins` lets pages of those origins PUT to the bucket (a browser's direct upload) and GET from it.
 */
export async function startS3Server(
  bucket = "upstage-test",
  options: { strictSignatures?: boolean; corsOrigins?: readonly string[] } = {},
): Promise<TestS3Server> {
  keepDirectoriesOnDelete();
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), "upstage-s3-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: options.corsOrigins ? [corsConfiguration(options.corsOrigins)] : [] }],
    // s3rver signs bucket-level paths ("/bucket/?list-type=2") without their
    // trailing slash and so refuses the SDK's correct signatures there; it
    // still checks that each request is signed with the right key id.
    allowMismatchedSignatures: !options.strictSignatures,
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: ACCESS_KEY },
  });
  return {
    endpoint,
    bucket,
    directory,
    env: {
      STORAGE: "s3",
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      S3_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: ACCESS_KEY,
    },
    async keys() {
      const keys: string[] = [];
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken }));
        keys.push(...(page.Contents ?? []).map((object) => object.Key!));
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
      return keys.sort();
    },
    async stop() {
      client.destroy();
      await server.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}

/** The bucket CORS rule a direct upload from a page needs (docs/operations.md gives the same for S3). */
function corsConfiguration(origins: readonly string[]): string {
  return `<CORSConfiguration><CORSRule>${origins.map((origin) => `<AllowedOrigin>${origin}</AllowedOrigin>`).join("")}
    <AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>
    <AllowedHeader>content-type</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule></CORSConfiguration>`;
}
