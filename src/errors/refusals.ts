// Every refusal that more than one place says, or that names a limit, in one
// table: its code and its words (as tus-node-server keeps its ERRORS in
// constants.ts). A check throws `refusals.x(…)`; tests assert on the code,
// and on the words where the words are the point.
import { ErrorCode } from "./ErrorCode.js";
import { UpstageError } from "./UpstageError.js";

const refusal = (code: ErrorCode, message: string) => new UpstageError(code, message);

export const refusals = {
  /** No token, or none that names a user: every door. */
  signIn: () => refusal(ErrorCode.Unauthenticated, "Sign in: send 'Authorization: Bearer <token>'."),
  /** An admin's operation asked by someone else. */
  adminOnly: () => refusal(ErrorCode.Forbidden, "Only an admin may do this."),

  /** A file over MAX_FILE_SIZE (`max` bytes), declared or as it arrives: every door. */
  fileTooLarge: (max: number) => refusal(ErrorCode.FileTooLarge, `The file is larger than the limit of ${max} bytes.`),
  /** An upload that would take its owner past QUOTA_BYTES (`quota` bytes): every door, early and at insert. */
  quotaExceeded: (quota: number) =>
    refusal(ErrorCode.QuotaExceeded, `This upload would take your images past your quota of ${quota} bytes; discard some first.`),
  /** An owner who holds MAX_STAGED_PER_USER (`max`) staged images already: every door, early and at insert. */
  tooManyStaged: (max: number) =>
    refusal(
      ErrorCode.QuotaExceeded,
      `You have ${max} staged images not yet saved (MAX_STAGED_PER_USER); save or discard some, or wait for them to expire.`,
    ),
  /** A user with MAX_CONCURRENT_UPLOADS requests in flight on this instance: multipart and tus. */
  tooManyInFlight: () => refusal(ErrorCode.RateLimited, "Too many uploads in flight; wait for one to finish."),

  /** An uploadId another upload holds now: every door. */
  uploadIdBusy: () =>
    refusal(
      ErrorCode.RateLimited,
      "Another upload under this uploadId is in flight; give each upload its own uploadId, or wait for that one to end.",
    ),
  /** An uploadId another user owns: every door, and the subscription. */
  uploadIdTaken: () => refusal(ErrorCode.Forbidden, "That uploadId belongs to another user."),

  /** createDirectUpload or stageDirectUpload on a server without STORAGE=s3. */
  directUploadsUnavailable: () =>
    refusal(
      ErrorCode.DirectUploadsUnavailable,
      "Direct uploads need STORAGE=s3, and this server keeps its files elsewhere: send the file with stageImage, or over tus at /uploads/.",
    ),
  /** A direct upload that is not the viewer's, or none: the same answer either way. */
  noDirectUpload: (id: string) => refusal(ErrorCode.NotFound, `No direct upload with id ${id}.`),
  /** A direct upload staged before its PUT reached the bucket: it waits. */
  nothingSentYet: () =>
    refusal(ErrorCode.NotFound, "Nothing has been sent to this direct upload yet: PUT the file to its url, then stage it."),
  /** A direct upload past its time, not staged. */
  directUploadExpired: () =>
    refusal(ErrorCode.UploadExpired, "This direct upload expired before it was staged; its bytes are gone. Upload the file again."),
  /** A direct upload another request is staging now. */
  directUploadInProgress: () =>
    refusal(ErrorCode.UploadInProgress, "This direct upload is being staged by another request; its uploadProgress says how it ends."),
  /** An object in the bucket of another size than the creation declared. */
  directUploadSizeDiffers: (declared: number, found: number) =>
    refusal(
      ErrorCode.BadUserInput,
      `The bucket holds ${found} bytes for this direct upload, where ${declared} were declared; upload the file again.`,
    ),
  /** A user with MAX_CONCURRENT_UPLOADS (`open`) direct uploads made and not yet staged. */
  tooManyOpenDirect: (open: number) =>
    refusal(ErrorCode.RateLimited, `You have ${open} direct uploads open, the most at once: stage or cancel one first.`),
} as const;
