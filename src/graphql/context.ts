import { refusals } from "../errors/refusals.js";
import type { DirectUploadDeps } from "../flows/directUploads.js";
import type { StageUploadDeps } from "../flows/stageUpload.js";
import type { ProgressBus } from "../progress/ProgressBus.js";
import type { Viewer } from "../staging/access.js";
import type { StagingDeps } from "../staging/StagingDeps.js";
import type { BodyMeter } from "../uploads/meterRequestBody.js";
import type { UploadHandler } from "../uploads/UploadHandler.js";
import type { ProfileLoader } from "./createProfileLoader.js";

/** What every resolver gets: the signed-in user (if any) and the services, made once per server. */
export interface GraphQLContext {
  readonly viewer: Viewer | null;
  readonly staging: StagingDeps;
  readonly progress: ProgressBus;
  /** What an upload's flow works with (staging, the bus, the uploads under way). */
  readonly uploading: StageUploadDeps;
  /** What the direct upload door works with (its bucket is undefined without STORAGE=s3). */
  readonly directUploads: DirectUploadDeps;
  /** What this server takes, and through which doors. */
  readonly uploadOptions: () => UploadOptionsModel;
  /** Absolute URL of a stored object: the storage's own (public or presigned), or the server's `/media/`. */
  readonly mediaUrl: (key: string) => Promise<string>;
  /** Profiles by user id, batched per tick (createProfileLoader). */
  readonly profiles: ProfileLoader;
  /** Set on multipart requests: what a stageImage in this request receives its file with. */
  readonly upload: UploadRequest | null;
}

/**
 * The signed-in user.
 * @throws UpstageError UNAUTHENTICATED when there is none.
 */
export function requireViewer(context: GraphQLContext): Viewer {
  if (!context.viewer) throw refusals.signIn();
  return context.viewer;
}

/**
 * The signed-in admin.
 * @throws UpstageError UNAUTHENTICATED without a viewer, FORBIDDEN for one who is not an admin.
 */
export function requireAdmin(context: GraphQLContext): Viewer {
  const viewer = requireViewer(context);
  if (!viewer.isAdmin) throw refusals.adminOnly();
  return viewer;
}

/** The upload side of one multipart request. */
export interface UploadRequest {
  /** The request body's byte count as read from the network. */
  readonly meter: BodyMeter;
  /**
   * This request's handler chain, fresh from UPLOAD_HANDLERS. A plugin may
   * change it before the resolver runs (e.g. in `requestDidStart`), like
   * Django's `request.upload_handlers.insert(0, …)`; it affects this request only.
   */
  readonly handlers: UploadHandler[];
}

/** `Query.uploadOptions`: what a server takes, and through which doors (see schema.graphql). */
export interface UploadOptionsModel {
  readonly maxFileSize: number;
  readonly acceptedFormats: string[];
  readonly multipart: boolean;
  readonly resumable: boolean;
  readonly resumableEndpoint: string;
  readonly direct: boolean;
  readonly maxConcurrentUploads: number;
}
