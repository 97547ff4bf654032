import type { IncomingMessage } from "node:http";
import { PassThrough, type Readable } from "node:stream";
import busboy from "busboy";
import type { FileUpload } from "graphql-upload/processRequest.mjs";
import Upload from "graphql-upload/Upload.mjs";
import objectPath from "object-path";
import { refusals } from "../errors/refusals.js";
import { UploadAbortedError } from "../errors/UploadAbortedError.js";
import { type BodyMeter, meterRequestBody } from "./meterRequestBody.js";

/** Buffering per stage of the file's way in: bounded, so memory stays flat whatever the file size. */
const CHUNK_BYTES = 1024 * 1024; // 1 MiB

/**
 * A map path may point only into an operation's variables, through names and
 * small array indices: `variables.file`, `0.variables.files.2`. (A path like
 * `variables.list.999999999` would otherwise make a sparse array that GraphQL
 * then walks element by element.)
 */
const MAP_PATH = /^(?:\d{1,3}\.)?variables(?:\.(?:[_A-Za-z][_0-9A-Za-z]*|\d{1,3}))+$/;
/** Segments that would reach an object's prototype. */
const MAGIC_PROPERTIES = new Set(["__proto__", "constructor", "prototype"]);

export interface MultipartOptions {
  /** Bytes of the `operations` and `map` fields. */
  readonly maxFieldSize: number;
  /** Bytes per file: a backstop behind the `limit` upload handler, which refuses first. */
  readonly maxFileSize: number;
  /** Files per request. */
  readonly maxFiles: number;
}

/** One file of a multipart request, as the `Upload` scalar hands it to a resolver. */
export interface MultipartFile extends FileUpload {
  /**
   * The file's bytes, for one reader. The stream ends only once the form's
   * closing boundary has been read and the whole form found well-formed, so
   * a malformed tail (an extra part, a cut-off body) fails the read instead
   * of passing unnoticed.
   * @throws UpstageError BAD_USER_INPUT on a second call.
   */
  createReadStream(): Readable;
}

export interface MultipartRequest {
  /** The operations, with an `Upload` in place of each file; resolves once `operations` and `map` are read. */
  readonly operations: Promise<unknown>;
  /** The request body's byte count, as read from the network. */
  readonly meter: BodyMeter;
}

/**
 * The GraphQL multipart request spec, read as graphql-upload's
 * `processRequest` reads it (same fields, `Upload` objects and scalar), with
 * these differences:
 * - a file's `createReadStream()` is the parser's own stream instead of a copy
 *   buffered through a temp file (fs-capacitor), so the request is read only
 *   as fast as the resolver consumes the file and each byte is written once;
 * - it is strict: a field or file part the spec does not call for, a file
 *   part that `map` does not name or that comes twice, a file mapped to more
 *   than one variable, and more files than `maxFiles` are all refused.
 *
 * Every refusal is an UpstageError with a contract code (FILE_TOO_LARGE for a
 * file over `maxFileSize`, BAD_USER_INPUT for the rest); a client that leaves
 * is an UploadAbortedError. No stream of the request is ever left without an
 * 'error' listener.
 */
export function processMultipart(request: IncomingMessage, options: MultipartOptions): MultipartRequest {
  const meter = meterRequestBody(request);
  const operations = new Promise<unknown>((resolve, reject) => {
    let operations: unknown;
    let map: Map<string, Upload> | undefined;
    /** File parts seen, by field name. */
    const seen = new Set<string>();
    let failed: Error | undefined;
    /** Streams handed to readers, ended once the whole body is in. */
    const bodies = new Set<PassThrough>();
    const pending = new Set<PassThrough>();

    function exit(error: Error): void {
      if (failed) return;
      failed = error;
      if (map) for (const upload of map.values()) if (!upload.file) upload.reject(error);
      for (const body of bodies) body.destroy(error);
      request.unpipe(parser);
      // Often called from inside one of busboy's callbacks, which goes on
      // using its state after the callback returns: destroy it after that.
      process.nextTick(() => parser.destroy());
      reject(error);
    }

    /**
     * Once the form's closing boundary has been read, the request is whole
     * (busboy ignores any epilogue, and a client whose Content-Length is too
     * long would otherwise hold the files open until it gives up): check that
     * every mapped file came, then let the files end.
     */
    function finishIfComplete(): void {
      if (failed || !map) return;
      // busboy 1.x sets `_complete` on the closing boundary and has no event for it.
      if (!(parser as unknown as { _complete?: boolean })._complete) return;
      const missing = [...map.entries()].filter(([, upload]) => !upload.file).map(([field]) => field);
      if (missing.length > 0) return exit(refusals.filesMissing(missing));
      for (const body of pending) body.end();
      pending.clear();
    }

    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        // Fewer, larger chunks through the handler chain (busboy's default is 16 KiB).
        highWaterMark: CHUNK_BYTES,
        fileHwm: CHUNK_BYTES,
        defParamCharset: "utf8",
        // One over each limit, so that crossing it is seen as an event and refused.
        limits: {
          fieldSize: options.maxFieldSize,
          fields: 3,
          files: options.maxFiles + 1,
          parts: options.maxFiles + 3,
          fileSize: options.maxFileSize + 1,
        },
      });
    } catch (error) {
      // No boundary, or not multipart at all.
      reject(refusals.malformedMultipart((error as Error).message));
      request.resume();
      return;
    }

    parser.on("field", (name, value, { valueTruncated }) => {
      if (failed) return;
      if (valueTruncated) return exit(refusals.fieldTooLong(name, options.maxFieldSize));
      if (name === "operations") {
        if (operations !== undefined) return exit(refusals.operationsTwice());
        try {
          operations = JSON.parse(value);
        } catch {
          return exit(refusals.operationsNotJson());
        }
        if (typeof operations !== "object" || !operations) {
          return exit(refusals.operationsNotObject());
        }
      } else if (name === "map") {
        if (map) return exit(refusals.mapTwice());
        if (operations === undefined) return exit(refusals.mapBeforeOperations());
        readMap(value);
      } else {
        exit(refusals.unexpectedField(name));
      }
    });

    function readMap(value: string): void {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        return exit(refusals.mapNotJson());
      }
      if (typeof parsed !== "object" || !parsed || Array.isArray(parsed)) {
        return exit(refusals.mapNotObject());
      }
      const entries = Object.entries(parsed);
      if (entries.length > options.maxFiles) {
        return exit(refusals.mapNamesTooMany(entries.length, options.maxFiles));
      }
      const uploads = new Map<string, Upload>();
      const paths = objectPath(operations as object);
      for (const [field, targets] of entries) {
        if (!Array.isArray(targets)) {
          return exit(refusals.mapEntryNotArray(field));
        }
        if (targets.length !== 1) {
          return exit(refusals.mapEntryNotOne(field, targets));
        }
        const upload = new Upload();
        uploads.set(field, upload);
        const [target] = targets as unknown[];
        if (typeof target !== "string") {
          return exit(refusals.mapEntryNotString(field));
        }
        if (!MAP_PATH.test(target) || target.split(".").some((segment) => MAGIC_PROPERTIES.has(segment))) {
          return exit(refusals.mapEntryBadPath(field, target));
        }
        try {
          paths.set(target, upload);
        } catch {
          return exit(refusals.mapEntryBadPath(field, target));
        }
      }
      map = uploads;
      resolve(operations);
    }

    parser.on("file", (field, stream, { filename, encoding, mimeType }) => {
      // Destroying the parser destroys its open file streams with an error;
      // each must have a listener, or that error ends the process.
      stream.on("error", () => {});
      if (failed) return void stream.resume();
      const upload = map?.get(field);
      if (!map || !upload || seen.has(field)) {
        stream.resume();
        if (!map) return exit(refusals.fileBeforeMap());
        if (seen.has(field)) return exit(refusals.filePartTwice(field));
        return exit(refusals.fileNotMapped(field));
      }
      seen.add(field);
      // The reader gets a pass-through of busboy's stream: every failure it
      // sees is an UpstageError or an UploadAbortedError (busboy's own are
      // plain), and piping keeps the backpressure all the way to the socket.
      const body = new PassThrough({ highWaterMark: CHUNK_BYTES });
      // Its reader (the handler chain) may not have attached yet when the body breaks off.
      body.on("error", () => {});
      bodies.add(body);
      stream.once("limit", () => exit(refusals.fileTooLarge(options.maxFileSize)));
      // The end is held back until the whole request has been read (see `close`).
      stream.once("end", () => {
        pending.add(body);
        finishIfComplete();
      });
      stream.pipe(body, { end: false });
      body.once("close", () => {
        bodies.delete(body);
        pending.delete(body);
        // Cut short (refused, failed, client gone): read no more of the request.
        // Left to itself, busboy would go on reading and discarding the rest.
        if (!body.readableEnded) {
          stream.unpipe(body);
          stream.resume();
          request.unpipe(parser);
          request.pause();
        }
      });
      let opened = false;
      const file: MultipartFile = {
        filename: filename ?? "",
        mimetype: mimeType ?? "application/octet-stream",
        encoding: encoding ?? "7bit",
        createReadStream() {
          if (failed) throw failed;
          if (body.errored) throw body.errored;
          if (opened) throw refusals.fileReadTwice(field);
          opened = true;
          return body;
        },
      };
      upload.resolve(file);
    });

    parser.on("fieldsLimit", () => exit(refusals.tooManyFields()));
    parser.on("filesLimit", () => exit(refusals.tooManyFiles(options.maxFiles)));
    parser.on("partsLimit", () => exit(refusals.tooManyParts(options.maxFiles)));

    parser.once("close", () => {
      if (failed) return;
      if (operations === undefined) return exit(refusals.operationsMissing());
      if (!map) return exit(refusals.mapMissing());
      finishIfComplete();
    });

    // busboy may report more than one error for one bad body; each must be handled.
    parser.on("error", (error: Error) => exit(refusals.malformedMultipart(error.message)));

    const disconnected = () => exit(new UploadAbortedError());
    // A client gone before the body was read (say, while its token was being
    // checked) took the unread body with it: no 'close' is coming any more.
    if (request.destroyed && !request.readableEnded) return disconnected();
    const unlessEnded = () => {
      if (!request.readableEnded) disconnected();
    };
    request.on("error", unlessEnded);
    request.once("close", unlessEnded);

    request.pipe(parser);
    // After the pipe's own listener, so each chunk has been parsed when this runs.
    request.on("data", finishIfComplete);
  });
  return { operations, meter };
}
