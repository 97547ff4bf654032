/**
 * The error codes of the public contract. They appear as `extensions.code` on
 * GraphQL errors and as `UploadProgress.error.code` on failed uploads.
 */
export enum ErrorCode {
  Unauthenticated = "UNAUTHENTICATED",
  Forbidden = "FORBIDDEN",
  NotFound = "NOT_FOUND",
  BadUserInput = "BAD_USER_INPUT",
  FileTooLarge = "FILE_TOO_LARGE",
  UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE",
  ImageTooLarge = "IMAGE_TOO_LARGE",
  QuotaExceeded = "QUOTA_EXCEEDED",
  StagedImageExpired = "STAGED_IMAGE_EXPIRED",
  /** A direct upload that was not staged in time (DIRECT_UPLOAD_TTL); its bytes are gone. */
  UploadExpired = "UPLOAD_EXPIRED",
  /** Another request is staging that direct upload now; its uploadProgress says how it ends. */
  UploadInProgress = "UPLOAD_IN_PROGRESS",
  /** Direct uploads need STORAGE=s3; this server keeps its files elsewhere (uploadOptions.direct is false). */
  DirectUploadsUnavailable = "DIRECT_UPLOADS_UNAVAILABLE",
  /** Too many uploads or subscriptions at once; try again when one has finished. */
  RateLimited = "RATE_LIMITED",
  /** The database, the storage or the disk cannot serve now (down, or full); retry later (HTTP 503 with Retry-After). */
  ServiceUnavailable = "SERVICE_UNAVAILABLE",
  InternalServerError = "INTERNAL_SERVER_ERROR",
}

/** The HTTP status that goes with each code when it ends a whole request. */
export const httpStatusOf: Record<ErrorCode, number> = {
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.BadUserInput]: 400,
  [ErrorCode.FileTooLarge]: 413,
  [ErrorCode.UnsupportedMediaType]: 415,
  [ErrorCode.ImageTooLarge]: 422,
  [ErrorCode.QuotaExceeded]: 413,
  [ErrorCode.StagedImageExpired]: 410,
  [ErrorCode.UploadExpired]: 410,
  [ErrorCode.UploadInProgress]: 409,
  [ErrorCode.DirectUploadsUnavailable]: 501,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.ServiceUnavailable]: 503,
  [ErrorCode.InternalServerError]: 500,
};
