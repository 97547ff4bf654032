import {
  openWebSocketClient,
  type StagedImage,
  type StageImageOptions,
  stageImageWithProgress,
  type UploadProgress,
} from "./stageImageWithProgress.js";

export interface OverallProgress {
  /** Bytes the server has read so far, over every file (a finished file counts whole). */
  readonly bytesReceived: number;
  /** The sum of the files' sizes. */
  readonly bytesTotal: number;
  /** Files staged. */
  readonly done: number;
  /** Files refused or cancelled. */
  readonly failed: number;
}

export interface StageImagesOptions extends Omit<StageImageOptions, "onProgress" | "uploadId" | "signal" | "resumable"> {
  /** Resumable (tus) for every file, or chosen per file (by size, say). */
  readonly resumable?: StageImageOptions["resumable"] | ((file: Blob, index: number) => StageImageOptions["resumable"]);
  /** Files uploading at once; the rest wait their turn, in order. @default 3 */
  readonly concurrency?: number | undefined;
  /** Each file's pushed events, by its index in `files`. */
  readonly onProgress?: ((index: number, progress: UploadProgress) => void) | undefined;
  /** Each file's outcome, by its index, as soon as it is known (the returned promise waits for every file). */
  readonly onSettled?: ((index: number, result: PromiseSettledResult<StagedImage>) => void) | undefined;
  /** The sum over all files, after every event. */
  readonly onOverall?: ((overall: OverallProgress) => void) | undefined;
  /** Cancels every upload not finished yet. */
  readonly signal?: AbortSignal | undefined;
  /** One signal per file (by index), to cancel that file alone. */
  readonly signals?: readonly (AbortSignal | undefined)[] | undefined;
}

/**
 * Stages several images, `concurrency` at a time (3 by default). Each file is
 * its own multipart request with its own uploadId, so each has its own
 * progress and can be cancelled alone; one WebSocket carries every
 * subscription. It never throws for a file: the results say, by index, what
 * became of each (a refusal is an UpstageRequestError with the contract's code).
 */
export async function stageImagesWithProgress(
  files: readonly Blob[],
  options: StageImagesOptions,
): Promise<PromiseSettledResult<StagedImage>[]> {
  const concurrency = Math.max(1, options.concurrency ?? 3); // the @default above
  // Kept open between one file's subscription and the next; disposed at the end.
  const ws = options.wsClient ?? openWebSocketClient(options, 60_000);
  const received = files.map(() => 0);
  let done = 0;
  let failed = 0;
  const bytesTotal = files.reduce((sum, file) => sum + file.size, 0);
  const report = () => options.onOverall?.({ bytesReceived: received.reduce((a, b) => a + b, 0), bytesTotal, done, failed });

  const results: PromiseSettledResult<StagedImage>[] = new Array(files.length);
  let next = 0;
  async function worker(): Promise<void> {
    for (let index = next++; index < files.length; index = next++) {
      const file = files[index]!;
      const signal = anySignal([options.signal, options.signals?.[index]]);
      try {
        if (signal?.aborted) throw signal.reason;
        const staged = await stageImageWithProgress(file, {
          ...options,
          resumable: typeof options.resumable === "function" ? options.resumable(file, index) : options.resumable,
          wsClient: ws,
          signal,
          onProgress(progress) {
            // The body carries a little more than the file (multipart framing): the bar stops at the file's size.
            received[index] = Math.min(file.size, progress.bytesReceived);
            options.onProgress?.(index, progress);
            report();
          },
        });
        received[index] = file.size;
        done++;
        results[index] = { status: "fulfilled", value: staged };
      } catch (error) {
        failed++;
        results[index] = { status: "rejected", reason: error };
      }
      options.onSettled?.(index, results[index]!);
      report();
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  } finally {
    if (!options.wsClient) await ws.dispose();
  }
  return results;
}

/** A signal that aborts when any of these does; undefined for none. */
function anySignal(signals: readonly (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}
