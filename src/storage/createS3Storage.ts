import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import type { Readable } from "node:stream";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { StorageConfig } from "../config.js";
import { contentTypeOfKey } from "./contentTypeOfKey.js";
import { IMMUTABLE_CACHE_CONTROL } from "./immutableCacheControl.js";
import type { ByteRange, Storage, StorageBody } from "./Storage.js";
import { isS3NotFound, readS3Object, s3ClientOf } from "./s3ClientOf.js";
import { isStorageKey } from "./storageKey.js";

export type S3StorageOptions = Extract<StorageConfig, { kind: "s3" }> & {
  /** Bytes per part of a multipart upload; objects larger than one part go up in parts. S3's least is 5 MiB. @default 8 MiB */
  readonly partSize?: number;
};

/**
 * Objects in an S3-compatible bucket, through the official AWS SDK v3. Large
 * objects go up as multipart uploads (lib-storage), which S3 shows only once
 * completed and aborts on failure, so nothing partial is ever visible.
 * Thumbnails sit beside their original (`<uuid>.<variant>` next to `<uuid>.<ext>`).
 */
export function createS3Storage(options: S3StorageOptions): Storage {
  const client = s3ClientOf(options);
  const Bucket = options.bucket;
  const { partSize = 8 * 1024 * 1024 /* 8 MiB */ } = options;

  function checkedKey(key: string): string {
    if (!isStorageKey(key)) throw new Error(`Not a storage key: ${JSON.stringify(key)}`);
    return key;
  }

  async function head(key: string) {
    try {
      return await client.send(new HeadObjectCommand({ Bucket, Key: checkedKey(key) }));
    } catch (error) {
      if (isS3NotFound(error)) return undefined;
      throw error;
    }
  }

  async function upload(key: string, body: StorageBody): Promise<void> {
    const Body = Buffer.isBuffer(body) ? body : createReadStream(body.file);
    const transfer = new Upload({
      client,
      params: {
        Bucket,
        Key: key,
        Body,
        ContentType: contentTypeOfKey(key),
        CacheControl: IMMUTABLE_CACHE_CONTROL,
      },
      partSize,
      queueSize: 2,
      leavePartsOnError: false,
    });
    await transfer.done();
  }

  return {
    async put(key, body) {
      try {
        // Keys are random and never reused; this only keeps put's promise
        // that an existing object is left as it is.
        if (await head(key)) return false;
        await upload(checkedKey(key), body);
        return true;
      } finally {
        // The storage takes the caller's file over: once sent, it goes.
        if (!Buffer.isBuffer(body)) await fs.rm(body.file, { force: true });
      }
    },

    async stat(key) {
      if (!isStorageKey(key)) return undefined;
      const found = await head(key);
      return found ? { byteSize: found.ContentLength ?? 0, modifiedAt: found.LastModified ?? new Date(0) } : undefined;
    },

    read: (key: string, range?: ByteRange): Readable =>
      readS3Object(client, { Bucket, Key: checkedKey(key), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: checkedKey(key) }));
    },

    async *list() {
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: "images/", ContinuationToken }));
        for (const object of page.Contents ?? []) {
          if (object.Key && isStorageKey(object.Key)) {
            yield { key: object.Key, byteSize: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0) };
          }
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
    },

    async urlOf(key) {
      if (options.publicUrl) return `${options.publicUrl}/${checkedKey(key)}`;
      return getSignedUrl(client, new GetObjectCommand({ Bucket, Key: checkedKey(key) }), { expiresIn: options.urlExpirySeconds });
    },

    async check() {
      // A listing proves the endpoint, the credentials and the bucket (HeadBucket is not on every S3-compatible store).
      await client.send(new ListObjectsV2Command({ Bucket, MaxKeys: 0 }));
    },

    async close() {
      client.destroy();
    },
  };
}
