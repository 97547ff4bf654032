import { PassThrough, type Readable } from "node:stream";
import { GetObjectCommand, type GetObjectCommandInput, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import type { StorageConfig } from "../config.js";

/** The one S3 client configuration: the media storage's and the direct uploads' quarantine's. */
export function s3ClientOf(options: Extract<StorageConfig, { kind: "s3" }>): S3Client {
  return new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    // Checksums only where S3 requires them: S3-compatible stores do not all
    // take the SDK's newer default (CRC32 trailers on every request), and a
    // presigned PUT must not carry a checksum of an empty body.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/** True for S3's "no such object" (a HEAD's 404 has no body, so only its status says it). */
export function isS3NotFound(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === "NotFound" || error.name === "NoSuchKey" || error.$metadata.httpStatusCode === 404)
  );
}

/** An object's bytes (or a range of them) as a stream at once; the request's failure is the stream's error. */
export function readS3Object(client: S3Client, input: GetObjectCommandInput): Readable {
  const out = new PassThrough();
  client
    .send(new GetObjectCommand(input))
    .then((object) => {
      const body = object.Body as Readable;
      body.on("error", (error) => out.destroy(error));
      out.on("close", () => body.destroy());
      body.pipe(out);
    })
    .catch((error: unknown) => out.destroy(error as Error));
  return out;
}
