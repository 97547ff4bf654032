import { randomBytes } from "node:crypto";
import http from "node:http";
import { STAGE_IMAGE } from "./graphqlClient.js";

export interface RawUploadOptions {
  token: string;
  uploadId?: string;
  filename?: string;
  /** Bytes written per chunk. */
  chunkSize?: number;
  /** Milliseconds to wait between chunks (a slow network). */
  delayMs?: number;
  /** Destroy the connection after this many file bytes (a client that goes away). */
  abortAfter?: number;
  /** With `abortAfter`: wait for this before destroying (say, until the server is seen receiving). */
  abortWhen?: Promise<unknown>;
  /** Added to the true Content-Length: a client that lies about its body. */
  contentLengthDelta?: number;
  /** Stop sending after this many file bytes but keep the connection open (a stalled client). */
  stallAfter?: number;
}

export interface RawUploadResult {
  /** The response, unless the connection was cut before one came. */
  status?: number;
  body?: any;
  /** Bytes of the request body written to the socket before the answer (or the cut). */
  bytesWritten: number;
  bytesTotal: number;
  error?: Error;
}

/**
 * Sends stageImage as a GraphQL multipart request over a raw connection, the
 * file in paced chunks with a true Content-Length, and stops writing as soon as
 * the server answers or closes: what it managed to write shows how much the
 * server read.
 */
export function rawUpload(graphqlUrl: string, file: Buffer, options: RawUploadOptions): Promise<RawUploadResult> {
  const { head, tail, contentType } = stageImageFraming(options.uploadId ?? null, options.filename ?? "photo.jpg");
  const bytesTotal = head.length + file.length + tail.length;
  const chunkSize = options.chunkSize ?? 64 * 1024;

  return new Promise((resolve) => {
    let bytesWritten = 0;
    let answered = false;
    let settled = false;
    const result: RawUploadResult = { bytesWritten: 0, bytesTotal };
    const finish = (extra: Partial<RawUploadResult> = {}) => {
      if (settled) return;
      settled = true;
      resolve({ ...result, ...extra, bytesWritten });
    };

    const request = postMultipart(graphqlUrl, {
      contentType,
      contentLength: bytesTotal + (options.contentLengthDelta ?? 0),
      token: options.token,
    });
    request.on("response", (response) => {
      answered = true;
      // A body that breaks off is the request's error to report.
      readBody(response).then(
        (body) => finish({ status: response.statusCode!, body }),
        () => {},
      );
    });
    request.on("error", (error) => {
      // After an answer, a reset of our unfinished body is expected.
      if (!answered) finish({ error });
    });

    const write = (data: Buffer) =>
      new Promise<void>((done) => {
        if (answered || request.destroyed) return done();
        bytesWritten += data.length;
        if (request.write(data)) done();
        else {
          const go = () => {
            request.off("drain", go);
            request.off("close", go);
            done();
          };
          request.on("drain", go);
          request.on("close", go);
        }
      });

    void (async () => {
      await write(head);
      for (let offset = 0; offset < file.length; offset += chunkSize) {
        if (answered || request.destroyed) return;
        if (options.stallAfter !== undefined && offset >= options.stallAfter) return;
        if (options.abortAfter !== undefined && offset >= options.abortAfter) {
          await options.abortWhen;
          request.destroy();
          finish({ error: new Error("aborted by the test") });
          return;
        }
        await write(file.subarray(offset, offset + chunkSize));
        if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      }
      await write(tail);
      if (!answered && !request.destroyed) request.end();
    })();
  });
}

/**
 * A stageImage multipart request around one JPEG file, as
 * graphql-multipart-request-spec frames it: what goes before the file's
 * bytes, what after, and the Content-Type naming the boundary.
 */
export function stageImageFraming(uploadId: string | null, filename: string): { head: Buffer; tail: Buffer; contentType: string } {
  const boundary = `----upstage${randomBytes(8).toString("hex")}`;
  const operations = JSON.stringify({ query: STAGE_IMAGE, variables: { file: null, uploadId } });
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="${filename}"\r\n` +
      `Content-Type: image/jpeg\r\n\r\n`,
  );
  return { head, tail: Buffer.from(`\r\n--${boundary}--\r\n`), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Opens a multipart POST to `graphqlUrl` with CSRF prevention's preflight header, the body left to the caller. */
export function postMultipart(
  graphqlUrl: string,
  options: { readonly contentType: string; readonly contentLength: number; readonly token?: string | undefined },
): http.ClientRequest {
  const url = new URL(graphqlUrl);
  return http.request({
    hostname: url.hostname,
    port: url.port,
    path: url.pathname,
    method: "POST",
    headers: {
      "content-type": options.contentType,
      "content-length": options.contentLength,
      "apollo-require-preflight": "true",
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
  });
}

/** A response's body: its JSON when it parses, its text otherwise; rejected when the response breaks off. */
export function readBody(response: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on("data", (c: Buffer) => chunks.push(c));
    response.on("error", reject);
    response.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve(text);
      }
    });
  });
}
