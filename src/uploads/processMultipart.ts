import type { IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import busboy from "busboy";
import type { FileUpload } from "graphql-upload/processRequest.mjs";
import Upload from "graphql-upload/Upload.mjs";
import objectPath from "object-path";

const SPEC = "https://github.com/jaydenseric/graphql-multipart-request-spec";

/** Buffering per stage of the file's way in: bounded, so memory stays flat whatever the file size. */
const CHUNK_BYTES = 1024 * 1024; // 1 MiB

/** A refused multipart request; `status` is the HTTP status graphql-upload would use. */
export class MultipartError extends Error {
  override readonly name = "MultipartError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface MultipartOptions {
  /** Bytes of the `operations` and `map` fields. */
  readonly maxFieldSize: number;
  /** Bytes per file: a backstop behind the `limit` upload handler, which refuses first. */
  readonly maxFileSize: number;
  readonly maxFiles: number;
}

/**
 * The GraphQL multipart request spec, as graphql-upload's `processRequest`
 * reads it (same fields, checks, messages, `Upload` objects and scalar), with
 * one difference: a file's `createReadStream()` is the parser's own stream
 * instead of a copy buffered through a temp file (fs-capacitor). So the
 * request is read only as fast as the resolver consumes the file (a refused
 * upload stops the reading), and each byte is written to disk once. The
 * stream can be read once; a file no resolver reads holds the request up
 * until the response is sent.
 *
 * Resolves with the operations (Upload objects in place of the files) as soon
 * as `operations` and `map` are parsed.
 * @throws MultipartError for a malformed request.
 */
export function processMultipart(request: IncomingMessage, options: MultipartOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let operations: unknown;
    let map: Map<string, Upload> | undefined;
    let failed: Error | undefined;
    const streams = new Set<PassThrough>();

    const parser = busboy({
      headers: request.headers,
      // Fewer, larger chunks through the handler chain (busboy's default is 16 KiB).
      highWaterMark: CHUNK_BYTES,
      fileHwm: CHUNK_BYTES,
      defParamCharset: "utf8",
      limits: { fieldSize: options.maxFieldSize, fields: 2, files: options.maxFiles, fileSize: options.maxFileSize + 1 },
    });

    function exit(error: Error): void {
      if (failed) return;
      failed = error;
      if (map) for (const upload of map.values()) if (!upload.file) upload.reject(error);
      for (const stream of streams) stream.destroy(error);
      request.unpipe(parser);
      parser.destroy();
      reject(error);
    }

    parser.on("field", (name, value, { valueTruncated }) => {
      if (valueTruncated) return exit(new MultipartError(413, `The ‘${name}’ multipart field value exceeds the ${options.maxFieldSize} byte size limit.`));
      if (name === "operations") {
        try {
          operations = JSON.parse(value);
        } catch {
          return exit(new MultipartError(400, `Invalid JSON in the ‘operations’ multipart field (${SPEC}).`));
        }
        if (typeof operations !== "object" || !operations) {
          return exit(new MultipartError(400, `Invalid type for the ‘operations’ multipart field (${SPEC}).`));
        }
      } else if (name === "map") {
        if (!operations) return exit(new MultipartError(400, `Misordered multipart fields; ‘map’ should follow ‘operations’ (${SPEC}).`));
        let parsed: unknown;
        try {
          parsed = JSON.parse(value);
        } catch {
          return exit(new MultipartError(400, `Invalid JSON in the ‘map’ multipart field (${SPEC}).`));
        }
        if (typeof parsed !== "object" || !parsed || Array.isArray(parsed)) {
          return exit(new MultipartError(400, `Invalid type for the ‘map’ multipart field (${SPEC}).`));
        }
        const entries = Object.entries(parsed);
        if (entries.length > options.maxFiles) return exit(new MultipartError(413, `${options.maxFiles} max file uploads exceeded.`));
        map = new Map();
        const paths = objectPath(operations as object);
        for (const [field, targets] of entries) {
          if (!Array.isArray(targets)) {
            return exit(new MultipartError(400, `Invalid type for the ‘map’ multipart field entry key ‘${field}’ array (${SPEC}).`));
          }
          const upload = new Upload();
          map.set(field, upload);
          for (const [index, target] of targets.entries()) {
            if (typeof target !== "string") {
              return exit(new MultipartError(400, `Invalid type for the ‘map’ multipart field entry key ‘${field}’ array index ‘${index}’ value (${SPEC}).`));
            }
            try {
              paths.set(target, upload);
            } catch {
              return exit(new MultipartError(400, `Invalid object path for the ‘map’ multipart field entry key ‘${field}’ array index ‘${index}’ value ‘${target}’ (${SPEC}).`));
            }
          }
        }
        resolve(operations);
      }
    });

    parser.on("file", (field, stream, { filename, encoding, mimeType }) => {
      const upload = map?.get(field);
      if (!map || !upload) {
        stream.resume();
        if (!map) exit(new MultipartError(400, `Misordered multipart fields; files should follow ‘map’ (${SPEC}).`));
        return;
      }
      // The resolver reads a pass-through of busboy's stream, so every failure
      // it sees is a MultipartError (busboy's own errors are plain), and piping
      // keeps the backpressure all the way to the socket.
      const body = new PassThrough({ highWaterMark: CHUNK_BYTES });
      // Failures are read from the stream by its consumer (the handler chain),
      // which may not have attached yet when the body breaks off.
      body.on("error", () => {});
      streams.add(body);
      stream.on("error", (error) => body.destroy(error instanceof MultipartError ? error : new MultipartError(400, error.message)));
      stream.once("limit", () => body.destroy(new MultipartError(413, `File truncated as it exceeds the ${options.maxFileSize} byte size limit.`)));
      stream.pipe(body);
      body.once("close", () => {
        streams.delete(body);
        // Cut short (refused, failed, client gone): read no more of the request.
        // Left to itself, busboy would go on reading and discarding the rest.
        if (!body.readableEnded) {
          stream.unpipe(body);
          request.unpipe(parser);
          request.pause();
        }
      });
      let opened = false;
      const file: FileUpload = {
        filename: filename ?? "",
        mimetype: mimeType ?? "application/octet-stream",
        encoding: encoding ?? "7bit",
        createReadStream() {
          if (failed) throw failed;
          if (body.errored) throw body.errored;
          if (opened) throw new Error("An upload's stream can be read once.");
          opened = true;
          return body;
        },
      };
      upload.resolve(file);
    });

    parser.on("filesLimit", () => exit(new MultipartError(413, `${options.maxFiles} max file uploads exceeded.`)));

    parser.once("close", () => {
      if (failed) return;
      if (!operations) return exit(new MultipartError(400, `Missing multipart field ‘operations’ (${SPEC}).`));
      if (!map) return exit(new MultipartError(400, `Missing multipart field ‘map’ (${SPEC}).`));
      for (const upload of map.values()) if (!upload.file) upload.reject(new MultipartError(400, "File missing in the request."));
    });

    // busboy may report more than one error for one bad body; each must be handled.
    parser.on("error", (error: Error) => exit(new MultipartError(400, error.message)));

    const disconnected = () => exit(new MultipartError(499, "Request disconnected during file upload stream parsing."));
    // A client gone before the body was read (say, while its token was being
    // checked) took the unread body with it: no 'close' is coming any more.
    if (request.destroyed && !request.readableEnded) return disconnected();
    request.once("close", () => {
      if (!request.readableEnded) disconnected();
    });

    request.pipe(parser);
  });
}
