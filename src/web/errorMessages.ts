import { UpstageRequestError } from "../client/UpstageRequestError.js";
import { ACCEPTED_FORMATS_IN_WORDS } from "../images/acceptedFormats.js";

/** Each error code of the contract, in words a person can act on. */
const MESSAGES: Record<string, string> = {
  UNAUTHENTICATED: "You are signed out, or your token has expired. Sign in again.",
  FORBIDDEN: "That belongs to someone else.",
  NOT_FOUND: "That image no longer exists. Choose the file again.",
  BAD_USER_INPUT: "The request was not understood.",
  FILE_TOO_LARGE: "That file is too large. Choose a smaller one, or tick “Shrink before sending”.",
  UNSUPPORTED_MEDIA_TYPE: `That is not an image upstage can read. Use ${ACCEPTED_FORMATS_IN_WORDS}.`,
  IMAGE_TOO_LARGE: "That image has too many pixels. Tick “Shrink before sending”, or choose a smaller one.",
  QUOTA_EXCEEDED:
    "You have reached a limit: your storage, or the uploads waiting to be saved. Save or discard those waiting, or remove an image.",
  STAGED_IMAGE_EXPIRED: "The uploaded image expired before it was saved. Choose the file again.",
  UPLOAD_EXPIRED: "The upload took too long and expired. Choose the file again.",
  UPLOAD_IN_PROGRESS: "That upload is being processed already. Wait for it to finish.",
  DIRECT_UPLOADS_UNAVAILABLE: "This server takes uploads through itself only. Send the file again.",
  RATE_LIMITED: "Another upload of yours is still running. Wait for it to finish.",
  INTERNAL_SERVER_ERROR: "Something went wrong on the server. Try again in a moment.",
};

export function errorMessage(code: string, fallback?: string): string {
  return MESSAGES[code] ?? fallback ?? `The server refused it (${code}).`;
}

/** Any failure in words: a refusal by its code, anything else by its own message. */
export function describeError(error: unknown): string {
  if (error instanceof UpstageRequestError) return errorMessage(error.code, error.message);
  return error instanceof Error ? error.message : String(error);
}
