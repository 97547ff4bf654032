import http from "node:http";
import * as tus from "tus-js-client";

export interface TusResult {
  /** The upload's URL on the server. */
  readonly url: string;
  readonly status: number;
  readonly body: unknown;
  readonly stagedImageId: string | undefined;
}

/** Runs a tus-js-client upload to the end (or its error), as a client in Node would. */
export function tusUpload(
  bytes: Buffer,
  options: tus.UploadOptions & { readonly onStart?: (upload: tus.Upload) => void },
): Promise<TusResult> {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(bytes, {
      ...options,
      onSuccess({ lastResponse }) {
        const text = lastResponse.getBody();
        resolve({
          url: upload.url!,
          status: lastResponse.getStatus(),
          body: text ? (JSON.parse(text) as unknown) : undefined,
          stagedImageId: lastResponse.getHeader("Upstage-Staged-Image-Id"),
        });
      },
      onError: reject,
    });
    options.onStart?.(upload);
    upload.start();
  });
}

/** The error tus-js-client reports, with the server's status and JSON body. */
export function refusalOf(error: unknown): { status: number | undefined; body: any } {
  const response = (error as tus.DetailedError).originalResponse;
  const text = response?.getBody();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: response?.getStatus(), body };
}

/** Sends a little over half of `bytes` in `chunkSize` PATCHes, then stops as a client that goes away would: the upload's URL. */
export function uploadHalf(
  bytes: Buffer,
  options: tus.UploadOptions & { readonly endpoint: string; readonly chunkSize: number },
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    void tusUpload(bytes, {
      ...options,
      onStart(upload) {
        upload.options.onChunkComplete = (_size, accepted) => {
          if (accepted <= bytes.length / 2) return;
          const url = upload.url!;
          void upload.abort().then(() => resolve(url));
        };
      },
    }).then(() => reject(new Error("The upload finished before it was stopped.")), reject);
  });
}

/**
 * Creates a tus upload of `length` bytes with a plain POST to `baseUrl`'s
 * /uploads/ (no bytes sent), as the client's first request: its response.
 */
export function createTusUpload(
  baseUrl: string,
  options: { readonly token: string; readonly length: number; readonly uploadId?: string },
): Promise<Response> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.token}`,
    "tus-resumable": "1.0.0",
    "upload-length": String(options.length),
  };
  if (options.uploadId !== undefined) headers["upload-metadata"] = `uploadId ${Buffer.from(options.uploadId).toString("base64")}`;
  return fetch(`${baseUrl}/uploads/`, { method: "POST", headers });
}

/**
 * Creates a tus upload of `bytes` under `uploadId` with a plain request, then
 * sends them in one PATCH in paced chunks (a slow network): resolves with
 * the PATCH's status, or undefined when the connection was cut first.
 */
export async function slowTusPatch(
  baseUrl: string,
  bytes: Buffer,
  options: { readonly token: string; readonly uploadId: string; readonly chunkSize: number; readonly delayMs: number },
): Promise<number | undefined> {
  const headers = { authorization: `Bearer ${options.token}`, "tus-resumable": "1.0.0" };
  const created = await createTusUpload(baseUrl, { token: options.token, length: bytes.length, uploadId: options.uploadId });
  if (created.status !== 201) throw new Error(`The tus creation was refused with ${created.status}: ${await created.text()}`);
  const location = new URL(created.headers.get("location")!, baseUrl);
  return new Promise((resolve) => {
    const request = http.request(location, {
      method: "PATCH",
      headers: {
        ...headers,
        "upload-offset": "0",
        "content-type": "application/offset+octet-stream",
        "content-length": String(bytes.length),
      },
    });
    request.once("response", (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.once("error", () => resolve(undefined));
    let sent = 0;
    const next = () => {
      if (request.destroyed) return;
      if (sent >= bytes.length) return void request.end();
      request.write(bytes.subarray(sent, sent + options.chunkSize));
      sent += options.chunkSize;
      setTimeout(next, options.delayMs);
    };
    next();
  });
}
