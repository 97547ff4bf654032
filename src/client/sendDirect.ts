import type {
  CancelDirectUploadMutation,
  CancelDirectUploadMutationVariables,
  CreateDirectUploadMutation,
  CreateDirectUploadMutationVariables,
  StageDirectUploadMutation,
  StageDirectUploadMutationVariables,
  StageImageMutation,
} from "./generated/operations.js";
import { type GraphQLRequestOptions, graphqlRequest } from "./graphqlRequest.js";
import { CANCEL_DIRECT_UPLOAD, CREATE_DIRECT_UPLOAD, STAGE_DIRECT_UPLOAD } from "./operations.js";
import { UpstageRequestError } from "./UpstageRequestError.js";

type DirectUpload = CreateDirectUploadMutation["createDirectUpload"];

/** Told as the bucket takes the file's bytes: all of them at the end where the platform reports no upload progress (fetch). */
export type OnSent = (bytesSent: number, bytesTotal: number) => void;

/**
 * Sends the file straight to the bucket (STORAGE=s3): `createDirectUpload`
 * reserves its place and answers a presigned PUT, the bytes go to the bucket
 * (never through upstage), then `stageDirectUpload` has upstage read them
 * back through its handlers and stage them. Cancelling (or a refusal by the
 * bucket) before the stage gives the upload up at once, so its reservation
 * does not wait for the URL's expiry.
 */
export async function sendDirect(
  file: Blob,
  uploadId: string,
  options: GraphQLRequestOptions,
  onSent: OnSent,
): Promise<StageImageMutation["stageImage"]> {
  const name = "name" in file && typeof file.name === "string" ? file.name : "image";
  const { createDirectUpload: upload } = await graphqlRequest<CreateDirectUploadMutation, CreateDirectUploadMutationVariables>(
    CREATE_DIRECT_UPLOAD,
    { input: { filename: name, contentType: file.type || null, byteSize: file.size, uploadId } },
    options,
  );
  try {
    await putToBucket(upload, file, onSent, options.signal);
  } catch (error) {
    await graphqlRequest<CancelDirectUploadMutation, CancelDirectUploadMutationVariables>(
      CANCEL_DIRECT_UPLOAD,
      { id: upload.id },
      { ...options, signal: undefined },
    ).catch(() => undefined);
    throw error;
  }
  const { stageDirectUpload } = await graphqlRequest<StageDirectUploadMutation, StageDirectUploadMutationVariables>(
    STAGE_DIRECT_UPLOAD,
    { id: upload.id, uploadId },
    options,
  );
  return stageDirectUpload;
}

/** The PUT: XMLHttpRequest where there is one (a browser: it reports upload progress), fetch elsewhere. */
function putToBucket(upload: DirectUpload, file: Blob, onSent: OnSent, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  const XHR = (globalThis as { XMLHttpRequest?: new () => XhrLike }).XMLHttpRequest;
  if (!XHR) {
    return fetch(upload.url, { method: upload.method, headers: headersOf(upload), body: file, signal: signal ?? null }).then(
      async (response) => {
        if (!response.ok) throw bucketRefusal(response.status, await response.text());
        onSent(file.size, file.size);
      },
    );
  }
  return new Promise((resolve, reject) => {
    const request = new XHR();
    request.open(upload.method, upload.url);
    for (const [name, value] of Object.entries(headersOf(upload))) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => onSent(event.loaded, file.size);
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) {
        onSent(file.size, file.size);
        resolve();
      } else reject(bucketRefusal(request.status, request.responseText));
    };
    request.onerror = () =>
      reject(new UpstageRequestError("SERVICE_UNAVAILABLE", "The bucket could not be reached (network, or its CORS rules)."));
    signal?.addEventListener(
      "abort",
      () => {
        request.abort();
        reject(signal.reason);
      },
      { once: true },
    );
    request.send(file);
  });
}

/** What the PUT uses of XMLHttpRequest (the client builds without the DOM's types). */
interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  readonly upload: { onprogress: ((event: { loaded: number }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  readonly status: number;
  readonly responseText: string;
  abort(): void;
  send(body: Blob): void;
}

function headersOf(upload: DirectUpload): Record<string, string> {
  return Object.fromEntries(upload.headers.map((header) => [header.name, header.value]));
}

/** The bucket's own refusal (S3's XML error), as the contract's code where one fits. */
function bucketRefusal(status: number, body: string): UpstageRequestError {
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? `The bucket answered ${status}.`;
  const expired = /expired/i.test(message);
  return new UpstageRequestError(expired ? "UPLOAD_EXPIRED" : "BAD_USER_INPUT", `The bucket refused the upload: ${message}`, status);
}
