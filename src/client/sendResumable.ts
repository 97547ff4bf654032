import * as tus from "tus-js-client";
import type { StagedImageByIdQuery, StagedImageByIdQueryVariables, StageImageMutation } from "./generated/operations.js";
import { graphqlRequest } from "./graphqlRequest.js";
import { STAGED_IMAGE } from "./operations.js";
import { UpstageRequestError } from "./UpstageRequestError.js";

export interface ResumableOptions {
  /** The tus endpoint; by default `/uploads/` beside the GraphQL endpoint. */
  readonly endpoint?: string | undefined;
  /** Waits between retries after a dropped connection, in ms (tus-js-client's `retryDelays`). */
  readonly retryDelays?: readonly number[] | undefined;
  /** Bytes per PATCH; one request for the whole file by default. */
  readonly chunkSize?: number | undefined;
  /** Told when an upload goes on from where an earlier attempt (a dropped connection, a reloaded page) left it. */
  readonly onResumed?: ((bytesAlready: number, bytesTotal: number) => void) | undefined;
}

/** What the request needs of stageImageWithProgress's options. */
interface ResumableRequest {
  readonly endpoint: string;
  readonly token?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly fetch?: typeof fetch | undefined;
}

const DEFAULT_RETRY_DELAYS = [0, 1000, 3000, 5000, 10_000];

/** The tus endpoint beside a GraphQL endpoint: `https://host/graphql` → `https://host/uploads/`. */
function tusEndpoint(graphqlEndpoint: string): string {
  const page = (globalThis as { location?: { href: string } }).location;
  return new URL("/uploads/", new URL(graphqlEndpoint, page?.href)).href;
}

/** The contract's error from a tus refusal's JSON body, or the client's own error. */
function errorOf(error: unknown): Error {
  const response = (error as tus.DetailedError).originalResponse;
  const text = response?.getBody();
  if (response && text) {
    try {
      const { error: refusal } = JSON.parse(text) as { error?: { code: string; message: string } };
      if (refusal) return new UpstageRequestError(refusal.code, refusal.message, response.getStatus());
    } catch {
      // Not upstage's JSON (a proxy's page): the status says what it can.
    }
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** What tus-js-client reads: the Blob in a browser; in Node, whose tus-js-client takes no Blob, its bytes as a Buffer. */
async function sourceOf(file: Blob): Promise<ConstructorParameters<typeof tus.Upload>[0]> {
  const NodeBuffer = (globalThis as { Buffer?: { from(bytes: ArrayBuffer): ConstructorParameters<typeof tus.Upload>[0] } }).Buffer;
  const inBrowser = typeof (globalThis as { window?: unknown }).window !== "undefined";
  return inBrowser || !NodeBuffer ? file : NodeBuffer.from(await file.arrayBuffer());
}

/**
 * Sends the file over tus (tus-js-client), resuming after dropped connections
 * and, in a browser, after a reload (its URL storage remembers the upload by
 * the file's fingerprint). Resolves with the staged image the last PATCH's
 * answer names.
 */
export async function sendResumable(
  file: Blob,
  uploadId: string,
  options: ResumableRequest,
  resumable: ResumableOptions,
): Promise<StageImageMutation["stageImage"]> {
  const source = await sourceOf(file);
  const answer = await new Promise<{ id: string; expiresAt: string }>((resolve, reject) => {
    const name = "name" in file && typeof file.name === "string" ? file.name : "image";
    const upload = new tus.Upload(source, {
      endpoint: resumable.endpoint ?? tusEndpoint(options.endpoint),
      retryDelays: [...(resumable.retryDelays ?? DEFAULT_RETRY_DELAYS)],
      ...(resumable.chunkSize ? { chunkSize: resumable.chunkSize } : {}),
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      metadata: { filename: name, filetype: file.type, uploadId },
      removeFingerprintOnSuccess: true,
      onAfterResponse(request, response) {
        // A HEAD that finds bytes already there: the upload goes on from them.
        const offset = Number(response.getHeader("Upload-Offset"));
        if (request.getMethod() === "HEAD" && offset > 0) resumable.onResumed?.(offset, file.size);
      },
      onSuccess({ lastResponse }) {
        try {
          const { stagedImage } = JSON.parse(lastResponse.getBody()) as { stagedImage: { id: string; expiresAt: string } };
          resolve(stagedImage);
        } catch {
          reject(
            new UpstageRequestError("INTERNAL_SERVER_ERROR", "The upload ended without naming its staged image.", lastResponse.getStatus()),
          );
        }
      },
      onError: (error) => reject(errorOf(error)),
    });
    options.signal?.addEventListener(
      "abort",
      () => {
        // Terminated on the server too (tus DELETE): its subscribers hear ABORTED.
        void upload.abort(true).catch(() => undefined);
        reject(options.signal!.reason);
      },
      { once: true },
    );
    if (options.signal?.aborted) return reject(options.signal.reason);
    void upload.findPreviousUploads().then((previous) => {
      if (previous[0]) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    }, reject);
  });
  const { image } = await graphqlRequest<StagedImageByIdQuery, StagedImageByIdQueryVariables>(
    STAGED_IMAGE,
    { id: answer.id },
    {
      endpoint: options.endpoint,
      token: options.token,
      fetch: options.fetch,
    },
  );
  if (!image) throw new UpstageRequestError("NOT_FOUND", "The staged image is gone.");
  return { id: answer.id, expiresAt: answer.expiresAt, image };
}
