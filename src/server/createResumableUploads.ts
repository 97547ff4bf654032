// tus 1.0 at /uploads/ on the same port (@tus/server with @tus/file-store):
// creation, creation-with-upload, termination and expiration. Every request
// is a signed-in user's, and an upload is visible to its owner only (404 to
// anyone else). An upload goes through the same admission, the same
// configured handler chain and the same way out as a multipart one
// (flows/resumableUploads.ts); the last PATCH's answer carries the staged
// image, or the error, as JSON.

import fs from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import type { Readable } from "node:stream";
import { FileStore } from "@tus/file-store";
import { DataStore, ERRORS, EVENTS, type Locker, Server, type Upload } from "@tus/server";
import { unavailabilityOf } from "../errors/asServiceUnavailable.js";
import { ErrorCode, httpStatusOf } from "../errors/ErrorCode.js";
import { refusals } from "../errors/refusals.js";
import { UpstageError } from "../errors/UpstageError.js";
import {
  createResumable,
  finishResumable,
  type ResumableDeps,
  type ResumableUploadRow,
  receiveResumable,
  resumableUpload,
  sweepExpiredResumables,
  terminatedResumable,
} from "../flows/resumableUploads.js";
import { checkUploadId } from "../progress/checkUploadId.js";
import { isOwnedBy, type Viewer } from "../staging/access.js";
import { createResumableParts } from "../storage/createResumableParts.js";
import { discardRestAfterAnswer } from "./discardRestAfterAnswer.js";

export const RESUMABLE_PATH = "/uploads";
/** The header of the last PATCH's answer that names the staged image. */
const STAGED_IMAGE_ID_HEADER = "Upstage-Staged-Image-Id";

export interface ResumableUploadsOptions {
  /** Where the data store keeps the parts: DATA_DIR/resumable. */
  readonly directory: string;
  readonly viewerOf: (authorization: string | undefined) => Promise<Viewer | undefined>;
  readonly mediaUrl: (key: string) => Promise<string>;
  /**
   * MAX_CONCURRENT_UPLOADS, shared with multipart: a PATCH or a POST with bytes takes a place while it runs (the
   * tracker a stop drains).
   */
  readonly admit: (userId: string, request: IncomingMessage) => (() => void) | undefined;
  /** With REDIS_URL, a locker every instance shares (createRedisLocker); by default tus's in-process one. */
  readonly locker?: (Locker & { close(): Promise<void> }) | undefined;
}

/** A tus error answer: the status and a JSON body with the contract's code. */
interface TusRefusal {
  readonly status_code: number;
  readonly body: string;
}

/** As over GraphQL, but a quota refusal is 403: 413 says the request is too large, and this one is not (tusd answers the same). */
const tusStatusOf = (code: ErrorCode) => (code === ErrorCode.QuotaExceeded ? 403 : httpStatusOf[code]);

function refusal(error: unknown): TusRefusal {
  const known = unavailabilityOf(error) ?? error;
  if (known instanceof UpstageError) {
    return { status_code: tusStatusOf(known.code), body: JSON.stringify({ error: { code: known.code, message: known.message } }) };
  }
  return {
    status_code: 500,
    body: JSON.stringify({ error: { code: ErrorCode.InternalServerError, message: "The upload failed on the server." } }),
  };
}

/**
 * The file store, with every write passed through the upload's handler chain
 * and every removal telling the flow. Only the extensions upstage supports are
 * named: no deferred length (the limit and quota need Upload-Length up front),
 * no concatenation.
 */
class ChainedFileStore extends DataStore {
  override extensions = ["creation", "creation-with-upload", "termination", "expiration"];

  constructor(
    readonly inner: FileStore,
    private readonly hooks: {
      write(stream: Readable, id: string, offset: number): Promise<number>;
      removed(id: string, offset: number): Promise<void>;
    },
  ) {
    super();
  }

  override create(upload: Upload) {
    return this.inner.create(upload);
  }
  /** Termination (DELETE): the bytes, then the row and the ABORTED event. */
  override async remove(id: string) {
    const upload = await this.inner.getUpload(id);
    await this.inner.remove(id);
    await this.hooks.removed(id, upload.offset);
  }
  override write(stream: Readable, id: string, offset: number) {
    return this.hooks.write(stream, id, offset);
  }
  override getUpload(id: string) {
    return this.inner.getUpload(id);
  }
  override declareUploadLength(id: string, length: number) {
    return this.inner.declareUploadLength(id, length);
  }
  override deleteExpired() {
    return this.inner.deleteExpired();
  }
  override getExpiration() {
    return this.inner.getExpiration();
  }
}

/** What the tus door works with: the flow's deps, less the parts, which live where the door's data store keeps them. */
export type ResumableDoorDeps = Omit<ResumableDeps, "parts">;

export async function createResumableUploads(doorDeps: ResumableDoorDeps, options: ResumableUploadsOptions) {
  await fs.mkdir(options.directory, { recursive: true });
  const files = new FileStore({ directory: options.directory, expirationPeriodInMilliseconds: doorDeps.limits.ttlSeconds * 1000 });
  const { log } = doorDeps.staging;

  /** Uploads staged, whose bytes go once their answer is sent (tus still reads a creation-with-upload's info after the finish hook). */
  const finishedUploads = new Set<string>();
  const deps: ResumableDeps = { ...doorDeps, parts: createResumableParts(options.directory) };

  async function rowOf(id: string): Promise<ResumableUploadRow> {
    const row = await resumableUpload(deps, id);
    if (!row) throw ERRORS.FILE_NOT_FOUND;
    return row;
  }

  const store = new ChainedFileStore(files, {
    async write(stream, id, offset) {
      const receiving = await receiveResumable(deps, await rowOf(id), offset);
      let written: number | undefined;
      let failure: unknown;
      try {
        // Piped, not pipelined: a refusal in the transform must not tear down tus's own
        // stream before the upload is removed and the refusal is answered.
        stream.once("error", (error) => receiving.transform.destroy(error));
        written = await files.write(stream.pipe(receiving.transform), id, offset);
      } catch (error) {
        failure = error;
      }
      const refused = await receiving.end();
      if (refused !== undefined) throw refusal(refused);
      if (failure !== undefined) throw failure;
      return written!;
    },
    async removed(id, offset) {
      const row = await resumableUpload(deps, id);
      if (row) await terminatedResumable(deps, row, offset);
    },
  });

  /** Who sent each request, from its bearer token (set by onIncomingRequest). */
  const viewers = new WeakMap<Request, Viewer>();
  function viewerFor(request: Request): Viewer {
    const viewer = viewers.get(request);
    if (!viewer) throw refusal(refusals.signIn());
    return viewer;
  }

  async function answerFor(image: Awaited<ReturnType<typeof finishResumable>>): Promise<string> {
    return JSON.stringify({
      stagedImage: {
        id: image.id,
        expiresAt: image.expires_at?.toISOString() ?? null,
        image: { id: image.id, url: await options.mediaUrl(image.storage_key), width: image.width, height: image.height },
      },
    });
  }

  const tus = new Server({
    path: RESUMABLE_PATH,
    datastore: store,
    ...(options.locker ? { locker: options.locker } : {}),
    maxSize: doorDeps.limits.maxFileSize,
    respectForwardedHeaders: true,
    exposedHeaders: [STAGED_IMAGE_ID_HEADER],
    async onIncomingRequest(request, id) {
      let viewer: Viewer | undefined;
      try {
        viewer = await options.viewerOf(request.headers.get("authorization") ?? undefined);
      } catch (error) {
        throw refusal(error);
      }
      if (!viewer) throw refusal(refusals.signIn());
      viewers.set(request, viewer);
      if (request.method === "POST") return;
      // Another user's upload, or one that is gone: the same 404, so ids cannot be probed.
      const row = await resumableUpload(deps, id);
      if (!row || !isOwnedBy(row, viewer.id))
        throw { status_code: 404, body: JSON.stringify({ error: { code: ErrorCode.NotFound, message: "No such upload." } }) };
    },
    async onUploadCreate(request, upload) {
      const viewer = viewerFor(request);
      const metadata = upload.metadata ?? {};
      try {
        await createResumable(deps, {
          id: upload.id,
          userId: viewer.id,
          byteLength: upload.size ?? 0,
          filename: metadata["filename"] ?? metadata["name"] ?? null,
          // The same bounds as stageImage's uploadId argument.
          uploadId: metadata["uploadId"] ? checkUploadId(metadata["uploadId"], "Upload-Metadata uploadId") : null,
        });
      } catch (error) {
        throw refusal(error);
      }
      return {};
    },
    async onUploadFinish(request, upload) {
      try {
        const image = await finishResumable(deps, await rowOf(upload.id));
        finishedUploads.add(upload.id);
        return {
          // A PATCH answers 200 with the body (204 may carry none); a creation-with-upload keeps its 201 and Location.
          ...(request.method === "PATCH" ? { status_code: 200 } : {}),
          headers: { [STAGED_IMAGE_ID_HEADER]: image.id, "Content-Type": "application/json" },
          body: await answerFor(image),
        };
      } catch (error) {
        throw refusal(error);
      }
    },
    onResponseError(_request, error) {
      if (error instanceof UpstageError) return refusal(error);
      if (error === ERRORS.ERR_MAX_SIZE_EXCEEDED) {
        return refusal(refusals.fileTooLarge(deps.limits.maxFileSize));
      }
      if (!("status_code" in error) || error.status_code >= 500) log.error({ err: error }, "resumable upload failed");
      return undefined;
    },
  });

  tus.on(EVENTS.POST_FINISH, (_request, _response, upload) => {
    if (!finishedUploads.delete(upload.id)) return;
    files
      .remove(upload.id)
      .catch((error: unknown) => log.warn({ err: error, id: upload.id }, "a staged resumable upload's bytes were not removed"));
  });

  return {
    async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
      if (
        request.method === "PATCH" ||
        (request.method === "POST" && request.headers["content-type"] === "application/offset+octet-stream")
      ) {
        const viewer = await options.viewerOf(request.headers.authorization).catch(() => undefined);
        if (viewer) {
          const release = options.admit(viewer.id, request);
          if (!release) {
            const { status_code, body } = refusal(refusals.tooManyInFlight());
            discardRestAfterAnswer(request, response);
            response.writeHead(status_code, { "tus-resumable": "1.0.0", "content-type": "application/json", "retry-after": "1" }).end(body);
            return;
          }
          response.once("close", release);
        }
      }
      await tus.handle(request, response);
    },
    /** The sweeper's part: incomplete uploads past RESUMABLE_TTL, their bytes and their rows, and parts no row names. */
    async sweepExpired(now: Date): Promise<number> {
      let removed = await sweepExpiredResumables(deps, now);
      // Parts no row names, older than the TTL: a crash between a row and its part (either way round).
      for (const name of await fs.readdir(options.directory)) {
        if (!name.endsWith(".json")) continue;
        const id = name.slice(0, -".json".length);
        const { mtimeMs } = await fs.stat(path.join(options.directory, name)).catch(() => ({ mtimeMs: Infinity }));
        if (now.getTime() - mtimeMs < deps.limits.ttlSeconds * 1000 || (await resumableUpload(deps, id))) continue;
        await files.remove(id).catch(() => fs.rm(path.join(options.directory, name), { force: true }));
        removed++;
      }
      if (removed > 0) log.info({ removed }, "expired resumable uploads removed");
      return removed;
    },
    async close(): Promise<void> {
      await options.locker?.close();
    },
  };
}

export type ResumableUploads = Awaited<ReturnType<typeof createResumableUploads>>;
