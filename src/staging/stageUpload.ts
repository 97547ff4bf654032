import type { Readable } from "node:stream";
import type { ImageRow } from "../db/rows.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { createProgressReporter, type ProgressReporter } from "../progress/createProgressReporter.js";
import type { ProgressBus } from "../progress/ProgressBus.js";
import type { BodyMeter } from "../uploads/meterRequestBody.js";
import { MultipartError } from "../uploads/processMultipart.js";
import { runUploadChain } from "../uploads/runUploadChain.js";
import type { UploadContext, UploadHandler } from "../uploads/UploadHandler.js";
import { stageImage } from "./stageImage.js";
import type { StagingDeps } from "./StagingDeps.js";

export interface UploadInput {
  readonly userId: string;
  readonly uploadId: string | null;
  /** Resolves when the file's part begins; rejects when the request fails first. */
  readonly file: Promise<{ filename: string; open(): Readable }>;
  readonly handlers: readonly UploadHandler[];
  readonly meter: BodyMeter | null;
  readonly progress: ProgressBus;
}

/**
 * One upload from bytes to a staged image: the handler chain receives the file
 * (PROCESSING when it is in), staging makes the image (READY), and any failure
 * is published as FAILED, or ABORTED when the client went away.
 * @throws UpstageError FORBIDDEN for another user's uploadId, and whatever the chain or staging refuses with.
 */
export async function stageUpload(deps: StagingDeps, input: UploadInput): Promise<ImageRow> {
  // The file may fail (client gone, part missing) while the uploadId is being
  // claimed; it is awaited below, so its rejection is not unhandled meanwhile.
  input.file.catch(() => {});
  let reporter: ProgressReporter | null = null;
  if (input.uploadId !== null) {
    if (!(await input.progress.claim(input.uploadId, input.userId))) {
      throw new UpstageError(ErrorCode.Forbidden, "That uploadId is in use by another user.");
    }
    if (input.meter) {
      reporter = createProgressReporter(input.progress, input.uploadId, input.meter, {
        onPublishError: (error) => deps.log.warn({ err: error, uploadId: input.uploadId }, "progress event lost"),
      });
    }
  }
  try {
    const file = await input.file;
    deps.log.info({ uploadId: input.uploadId, userId: input.userId, bytesTotal: input.meter?.bytesTotal ?? null }, "upload started");
    const upload: UploadContext = {
      uploadId: input.uploadId,
      userId: input.userId,
      filename: file.filename,
      meter: input.meter,
      progress: reporter,
      bytesSeen: 0,
      results: {},
    };
    await runUploadChain(file.open(), input.handlers, upload);
    reporter?.processing();
    const { file: path, sha256 } = upload.results;
    const staging = deps.metrics.stageSeconds.startTimer();
    const image = await stageImage(deps, {
      ownerId: input.userId,
      received: { path: path!, sha256: sha256!, byteSize: upload.bytesSeen, filename: file.filename },
    });
    staging();
    reporter?.ready(image.id);
    await reporter?.flushed();
    deps.metrics.uploads.inc({ outcome: "READY", code: "" });
    return image;
  } catch (error) {
    const refusal = asRefusal(error, deps.options.maxFileSize);
    reporter?.failed(refusal);
    await reporter?.flushed();
    const context = { uploadId: input.uploadId, userId: input.userId };
    if (input.meter?.aborted) {
      deps.metrics.uploads.inc({ outcome: "ABORTED", code: "" });
      deps.log.info(context, "upload aborted by the client");
    } else {
      const code = refusal instanceof UpstageError ? refusal.code : ErrorCode.InternalServerError;
      deps.metrics.uploads.inc({ outcome: "FAILED", code });
      deps.log.info({ ...context, code }, "upload refused");
    }
    throw refusal;
  } finally {
    deps.metrics.receivedBytes.inc(input.meter?.bytesReceived ?? 0);
  }
}

/**
 * The multipart parser's refusals, as contract codes: its size limit (a
 * backstop behind `limit`) is FILE_TOO_LARGE; a malformed or cut-off body
 * (a file missing from `map`, a Content-Length shorter than the body, a client
 * gone) is BAD_USER_INPUT.
 */
function asRefusal(error: unknown, maxFileSize: number): unknown {
  if (!(error instanceof MultipartError)) return error;
  if (error.status === 413) {
    return new UpstageError(ErrorCode.FileTooLarge, `The file is larger than the limit of ${maxFileSize} bytes.`, { cause: error });
  }
  return new UpstageError(ErrorCode.BadUserInput, error.message, { cause: error });
}
