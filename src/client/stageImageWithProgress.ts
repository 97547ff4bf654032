import { type Client, createClient } from "graphql-ws";
import type { StageImageMutation, UploadProgressSubscription, UploadProgressSubscriptionVariables } from "./generated/operations.js";
import { STAGE_IMAGE, UPLOAD_PROGRESS } from "./operations.js";
import { sendDirect } from "./sendDirect.js";
import { type ResumableOptions, sendResumable } from "./sendResumable.js";
import { readGraphQLResponse } from "./UpstageRequestError.js";

export type StagedImage = StageImageMutation["stageImage"];
export type UploadProgress = UploadProgressSubscription["uploadProgress"];

export interface StageImageOptions {
  /** The GraphQL endpoint's URL (`https://…/graphql`); the subscription goes to its `ws(s)://` twin. */
  readonly endpoint: string;
  /** The bearer token. */
  readonly token?: string | undefined;
  /** Called with each pushed event: RECEIVING…, PROCESSING, then READY, FAILED or ABORTED. */
  readonly onProgress?: ((progress: UploadProgress) => void) | undefined;
  /** Aborting it cancels the upload; the server then reports ABORTED. */
  readonly signal?: AbortSignal | undefined;
  /** The upload's id; a new UUID by default. */
  readonly uploadId?: string | undefined;
  /** A graphql-ws client to reuse, signed in with the same user; by default one is opened for this upload. */
  readonly wsClient?: Client | undefined;
  /** The WebSocket class, where there is no global one (Node 20: `ws`). */
  readonly webSocketImpl?: unknown;
  readonly fetch?: typeof fetch | undefined;
  /** How long to wait for the last progress event once the mutation has answered or been cancelled. @default 3000 (3 s) */
  readonly settleMs?: number | undefined;
  /**
   * Send the file over tus (`/uploads/`) instead of one multipart request: it
   * resumes after a dropped connection (retried per `retryDelays`) and, in a
   * browser, after a reload. The same pushed progress and the same staged image.
   */
  readonly resumable?: boolean | ResumableOptions | undefined;
  /**
   * Send the file straight to the bucket (STORAGE=s3; `uploadOptions.direct`
   * says whether the server has it): upstage sees two small requests, not
   * the bytes. RECEIVING events are the helper's own (the bucket reports
   * nothing to upstage): per chunk sent in a browser, at the end under
   * fetch. The same PROCESSING, READY and staged image; cancelling gives the
   * upload up at once. Takes precedence over `resumable`.
   */
  readonly direct?: boolean | undefined;
}

const TERMINAL = new Set(["READY", "FAILED", "ABORTED"]);

/**
 * Stages an image the way upstage's progress protocol asks: picks an
 * uploadId, subscribes to `uploadProgress`, sends the `stageImage` multipart
 * request (with the CSRF preflight header), and resolves with the staged
 * image once the mutation has answered and the progress has ended.
 *
 * Progress is a view: when the subscription fails, the upload goes on.
 * @throws UpstageRequestError with the contract's code when upstage refuses the file.
 * @throws the signal's reason (an AbortError) when cancelled, after the ABORTED event has been passed on.
 */
export async function stageImageWithProgress(file: Blob, options: StageImageOptions): Promise<StagedImage> {
  const uploadId = options.uploadId ?? newUploadId();
  const settleMs = options.settleMs ?? 3000; // 3 s
  const ws = options.wsClient ?? openWebSocketClient(options);
  // A direct upload's bytes are counted here, as they leave; the server's RECEIVING (0, at creation) would only set the bar back.
  const fromServer = (progress: UploadProgress) => !(options.direct && progress.phase === "RECEIVING");

  let progressEnded!: () => void;
  const ended = new Promise<void>((resolve) => (progressEnded = resolve));
  const unsubscribe = ws.subscribe<UploadProgressSubscription, UploadProgressSubscriptionVariables>(
    { query: UPLOAD_PROGRESS, variables: { uploadId } },
    {
      next(result) {
        const progress = result.data?.uploadProgress;
        if (!progress) return;
        if (fromServer(progress)) options.onProgress?.(progress);
        if (TERMINAL.has(progress.phase)) progressEnded();
      },
      error: () => progressEnded(),
      complete: () => progressEnded(),
    },
  );
  const lastEvent = () => Promise.race([ended, delay(settleMs)]);

  try {
    const staged = options.direct
      ? await sendDirect(file, uploadId, options, (bytesSent, bytesTotal) =>
          options.onProgress?.(receiving(uploadId, bytesSent, bytesTotal)),
        )
      : options.resumable
        ? await sendResumable(file, uploadId, options, options.resumable === true ? {} : options.resumable)
        : await sendStageImage(file, uploadId, options);
    await lastEvent();
    return staged;
  } catch (error) {
    // Cancelled or refused: let the terminal event (ABORTED, FAILED) reach the caller first.
    await lastEvent();
    throw error;
  } finally {
    unsubscribe();
    if (!options.wsClient) await ws.dispose();
  }
}

/** A RECEIVING event of the helper's own, as the server would say it. */
function receiving(uploadId: string, bytesReceived: number, bytesTotal: number): UploadProgress {
  return {
    uploadId,
    phase: "RECEIVING",
    at: new Date().toISOString(),
    bytesReceived,
    bytesTotal,
    percent: bytesTotal > 0 ? Math.floor((bytesReceived / bytesTotal) * 100) : null,
    stagedImage: null,
    error: null,
  };
}

/** The `stageImage` mutation as a GraphQL multipart request. */
async function sendStageImage(file: Blob, uploadId: string, options: StageImageOptions): Promise<StagedImage> {
  const form = new FormData();
  form.append("operations", JSON.stringify({ query: STAGE_IMAGE, variables: { file: null, uploadId } }));
  form.append("map", JSON.stringify({ 0: ["variables.file"] }));
  form.append("0", file, "name" in file && typeof file.name === "string" ? file.name : "image");
  const response = await (options.fetch ?? fetch)(options.endpoint, {
    method: "POST",
    body: form,
    headers: {
      // Apollo's CSRF prevention: a plain HTML form cannot send this header.
      "apollo-require-preflight": "true",
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    signal: options.signal ?? null,
  });
  return (await readGraphQLResponse<StageImageMutation>(response)).stageImage;
}

/**
 * The helper's own signed-in graphql-ws client, when the caller brings none:
 * lazy (it connects with the first subscription), never retrying (progress is
 * a view; the upload goes on without it).
 * @param lazyCloseTimeout ms it stays open once its last subscription ends.
 */
export function openWebSocketClient(
  options: Pick<StageImageOptions, "endpoint" | "token" | "webSocketImpl">,
  lazyCloseTimeout = 0,
): Client {
  return createClient({
    url: webSocketUrl(options.endpoint),
    connectionParams: options.token ? { authorization: `Bearer ${options.token}` } : {},
    webSocketImpl: options.webSocketImpl,
    lazy: true,
    lazyCloseTimeout,
    retryAttempts: 0,
  });
}

/** The `ws(s)://` twin of a GraphQL endpoint's URL. */
function webSocketUrl(endpoint: string): string {
  // In a page, the endpoint may be relative ("/graphql").
  const page = (globalThis as { location?: { href: string } }).location;
  const url = new URL(endpoint, page?.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

/** A v4 UUID; crypto.randomUUID is missing outside secure contexts (a page on http://192.168.…). */
function newUploadId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
