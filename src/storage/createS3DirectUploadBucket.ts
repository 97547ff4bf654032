import { randomUUID } from "node:crypto";
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { StorageConfig } from "../config.js";
import type { DirectUploadBucket } from "./DirectUploadBucket.js";
import { isS3NotFound, readS3Object, s3ClientOf } from "./s3ClientOf.js";

/** Where direct uploads wait in the bucket; the media (`images/`) is never under it. */
export const QUARANTINE_PREFIX = "quarantine/";

/** Every quarantine object is stored as opaque bytes: nothing the client says about it is believed, and none is served. */
const QUARANTINE_CONTENT_TYPE = "application/octet-stream";

const QUARANTINE_KEY = /^quarantine\/[0-9a-f-]{36}$/;

/**
 * The direct uploads' quarantine in the media bucket, through the same SDK
 * client settings as the media storage. A presigned PUT (SigV4, query
 * signed) covers the Content-Length and the Content-Type, so the bucket
 * itself refuses a body of another size; a POST policy would add nothing
 * for one known size, and S3-compatible stores support presigned PUTs more
 * widely.
 */
export function createS3DirectUploadBucket(options: Extract<StorageConfig, { kind: "s3" }>): DirectUploadBucket & { close(): void } {
  const client = s3ClientOf(options);
  const Bucket = options.bucket;

  function checkedKey(key: string): string {
    if (!QUARANTINE_KEY.test(key)) throw new Error(`Not a quarantine key: ${JSON.stringify(key)}`);
    return key;
  }

  return {
    prefix: QUARANTINE_PREFIX,

    newKey: () => `${QUARANTINE_PREFIX}${randomUUID()}`,

    async presignPut(key, byteSize, expiresInSeconds) {
      const command = new PutObjectCommand({ Bucket, Key: checkedKey(key), ContentLength: byteSize, ContentType: QUARANTINE_CONTENT_TYPE });
      const url = await getSignedUrl(client, command, {
        expiresIn: expiresInSeconds,
        signableHeaders: new Set(["content-length", "content-type"]),
      });
      return { url, method: "PUT", headers: { "Content-Type": QUARANTINE_CONTENT_TYPE } };
    },

    async sizeOf(key) {
      try {
        const found = await client.send(new HeadObjectCommand({ Bucket, Key: checkedKey(key) }));
        return found.ContentLength ?? 0;
      } catch (error) {
        if (isS3NotFound(error)) return undefined;
        throw error;
      }
    },

    read: (key) => readS3Object(client, { Bucket, Key: checkedKey(key) }),

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: checkedKey(key) }));
    },

    close() {
      client.destroy();
    },
  };
}
