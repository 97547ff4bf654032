import type { IncomingMessage } from "node:http";
import { PassThrough, type Readable } from "node:stream";
import busboy from "busboy";
import type { FileUpload } from "graphql-upload/processRequest.mjs";
import Upload from "graphql-upload/Upload.mjs";
import objectPath from "object-path";
import { ErrorCode } from "../errors/ErrorCode.js";
import { refusals } from "../errors/refusals.js";
import { UploadAbortedError } from "../errors/UploadAbortedError.js";
import { UpstageError } from "../errors/UpstageError.js";
import { type BodyMeter, meterRequestBody } from "./meterRequestBody.js";

const SPEC = "https://github.com/jaydenseric/graphql-multipart-request-spec";

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

    const refuse = (message: string, code = ErrorCode.BadUserInput) => exit(new UpstageError(code, message));

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
      if (missing.length > 0) return refuse(`File missing in the request: ${missing.map((f) => `‘${f}’`).join(", ")}.`);
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
      reject(new UpstageError(ErrorCode.BadUserInput, `Malformed multipart request: ${(error as Error).message}.`));
      request.resume();
      return;
    }

    parser.on("field", (name, value, { valueTruncated }) => {
      if (failed) return;
      if (valueTruncated) return refuse(`The ‘${name}’ multipart field value exceeds the ${options.maxFieldSize} byte size limit.`);
      if (name === "operations") {
        if (operations !== undefined) return refuse(`The ‘operations’ multipart field appears more than once (${SPEC}).`);
        try {
          operations = JSON.parse(value);
        } catch {
          return refuse(`Invalid JSON in the ‘operations’ multipart field (${SPEC}).`);
        }
        if (typeof operations !== "object" || !operations) {
          return refuse(`Invalid type for the ‘operations’ multipart field (${SPEC}).`);
        }
      } else if (name === "map") {
        if (map) return refuse(`The ‘map’ multipart field appears more than once (${SPEC}).`);
        if (operations === undefined) return refuse(`Misordered multipart fields; ‘map’ should follow ‘operations’ (${SPEC}).`);
        readMap(value);
      } else {
        refuse(`Unexpected multipart field ‘${name}’; a request has ‘operations’, then ‘map’, then the files (${SPEC}).`);
      }
    });

    function readMap(value: string): void {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        return refuse(`Invalid JSON in the ‘map’ multipart field (${SPEC}).`);
      }
      if (typeof parsed !== "object" || !parsed || Array.isArray(parsed)) {
        return refuse(`Invalid type for the ‘map’ multipart field (${SPEC}).`);
      }
      const entries = Object.entries(parsed);
      if (entries.length > options.maxFiles) {
        return refuse(`The ‘map’ multipart field names ${entries.length} files; at most ${options.maxFiles} may be sent in one request.`);
      }
      const uploads = new Map<string, Upload>();
      const paths = objectPath(operations as object);
      for (const [field, targets] of entries) {
        if (!Array.isArray(targets)) {
          return refuse(`Invalid type for the ‘map’ multipart field entry key ‘${field}’ array (${SPEC}).`);
        }
        if (targets.length !== 1) {
          return refuse(
            targets.length === 0
              ? `The ‘map’ multipart field entry key ‘${field}’ names no variable; map each file to one.`
              : `The file ‘${field}’ is mapped to ${targets.length} variables (${targets.join(", ")}); map each file to one.`,
          );
        }
        const upload = new Upload();
        uploads.set(field, upload);
        const [target] = targets as unknown[];
        if (typeof target !== "string") {
          return refuse(`Invalid type for the ‘map’ multipart field entry key ‘${field}’ array index ‘0’ value (${SPEC}).`);
        }
        if (!MAP_PATH.test(target) || target.split(".").some((segment) => MAGIC_PROPERTIES.has(segment))) {
          return refuse(
            `Invalid object path for the ‘map’ multipart field entry key ‘${field}’ array index ‘0’ value ‘${target}’ (${SPEC}).`,
          );
        }
        try {
          paths.set(target, upload);
        } catch {
          return refuse(
            `Invalid object path for the ‘map’ multipart field entry key ‘${field}’ array index ‘0’ value ‘${target}’ (${SPEC}).`,
          );
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
        if (!map) return refuse(`Misordered multipart fields; files should follow ‘map’ (${SPEC}).`);
        if (seen.has(field)) return refuse(`The file part ‘${field}’ appears more than once.`);
        return refuse(`The file part ‘${field}’ is not named in the ‘map’ multipart field; send only the files it names.`);
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
          if (opened) throw new UpstageError(ErrorCode.BadUserInput, `The file ‘${field}’ can be read once; pass it to one field only.`);
          opened = true;
          return body;
        },
      };
      upload.resolve(file);
    });

    parser.on("fieldsLimit", () =>
      refuse(`Too many multipart fields; a request has ‘operations’ and ‘map’ only, then the files (${SPEC}).`),
    );
    parser.on("filesLimit", () => refuse(`Too many files; at most ${options.maxFiles} may be sent in one request.`));
    parser.on("partsLimit", () => refuse(`Too many multipart parts; at most ${options.maxFiles} files after ‘operations’ and ‘map’.`));

    parser.once("close", () => {
      if (failed) return;
      if (operations === undefined) return refuse(`Missing multipart field ‘operations’ (${SPEC}).`);
      if (!map) return refuse(`Missing multipart field ‘map’ (${SPEC}).`);
      finishIfComplete();
    });

    // busboy may report more than one error for one bad body; each must be handled.
    parser.on("error", (error: Error) => refuse(`Malformed multipart request: ${error.message}.`));

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
