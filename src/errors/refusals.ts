// Every refusal upstage makes, in one table: its code and its words (as
// tus-node-server keeps its ERRORS in constants.ts). A check throws
// `refusals.x(…)`; tests assert on the code, and on the words where the words
// are the point (the multipart ones are graphql-upload's processRequest's).
// Grouped by what is refused.
import { ErrorCode } from "./ErrorCode.js";
import { UpstageError } from "./UpstageError.js";

const refusal = (code: ErrorCode, message: string, options?: { cause?: unknown }) => new UpstageError(code, message, options);
const badInput = (message: string) => refusal(ErrorCode.BadUserInput, message);
const badArgument = (name: string, expected: string) => badInput(`Expected ${expected} for ‘${name}’.`);

/** The specification a malformed multipart request is pointed to. */
const SPEC = "https://github.com/jaydenseric/graphql-multipart-request-spec";

export const refusals = {
  // Who asks

  /** No token, or none that names a user: every door. */
  signIn: () => refusal(ErrorCode.Unauthenticated, "Sign in: send 'Authorization: Bearer <token>'."),
  /** An Authorization header that is not `Bearer <token>`. */
  notBearer: () => refusal(ErrorCode.Unauthenticated, "Expected an Authorization header of the form 'Bearer <token>'."),
  /** A token without `sub`. */
  tokenWithoutSubject: () => refusal(ErrorCode.Unauthenticated, "The token has no subject (sub)."),
  /** A token without `exp`, where AUTH_ALLOW_NO_EXPIRY is off. */
  tokenWithoutExpiry: () => refusal(ErrorCode.Unauthenticated, "The token has no expiry (exp); ask for one that expires."),
  /** A `sub` or `preferred_username` longer than `max` characters, or with controls. */
  tokenClaimInvalid: (claim: string, max: number) =>
    refusal(ErrorCode.Unauthenticated, `The token's ${claim} must be at most ${max} characters, without control characters.`),
  /** A token past its `exp`. */
  tokenExpired: (cause: unknown) => refusal(ErrorCode.Unauthenticated, "The token has expired.", { cause }),
  /** A forged or malformed token. */
  tokenInvalid: (cause: unknown) => refusal(ErrorCode.Unauthenticated, "The token is not valid.", { cause }),
  /** A signed-in user whose row went away under the request (an admin removed it). */
  userGone: () => refusal(ErrorCode.Unauthenticated, "The signed-in user no longer exists."),
  /** An admin's operation asked by someone else. */
  adminOnly: () => refusal(ErrorCode.Forbidden, "Only an admin may do this."),

  // HTTP requests to /graphql

  /** A multipart request without the preflight header Apollo's CSRF prevention asks for. */
  crossSiteRequest: () =>
    badInput("This upload has been blocked as a potential cross-site request forgery: send an 'Apollo-Require-Preflight: true' header."),
  /** A JSON body over `max` bytes. */
  bodyTooLarge: (max: number) => badInput(`The request body is larger than ${max} bytes.`),
  /** A JSON body that does not parse. */
  bodyNotJson: () => badInput("The request body is not valid JSON."),
  /** stageImage sent as JSON: its file can only come in a multipart request. */
  notMultipart: () => badInput(`Send stageImage as a GraphQL multipart request (${SPEC}).`),

  // Multipart requests (the GraphQL multipart request spec), as graphql-upload's processRequest words them

  malformedMultipart: (reason: string) => badInput(`Malformed multipart request: ${reason}.`),
  fieldTooLong: (name: string, max: number) => badInput(`The ‘${name}’ multipart field value exceeds the ${max} byte size limit.`),
  operationsTwice: () => badInput(`The ‘operations’ multipart field appears more than once (${SPEC}).`),
  operationsNotJson: () => badInput(`Invalid JSON in the ‘operations’ multipart field (${SPEC}).`),
  operationsNotObject: () => badInput(`Invalid type for the ‘operations’ multipart field (${SPEC}).`),
  operationsMissing: () => badInput(`Missing multipart field ‘operations’ (${SPEC}).`),
  mapTwice: () => badInput(`The ‘map’ multipart field appears more than once (${SPEC}).`),
  mapBeforeOperations: () => badInput(`Misordered multipart fields; ‘map’ should follow ‘operations’ (${SPEC}).`),
  mapNotJson: () => badInput(`Invalid JSON in the ‘map’ multipart field (${SPEC}).`),
  mapNotObject: () => badInput(`Invalid type for the ‘map’ multipart field (${SPEC}).`),
  mapMissing: () => badInput(`Missing multipart field ‘map’ (${SPEC}).`),
  mapNamesTooMany: (count: number, max: number) =>
    badInput(`The ‘map’ multipart field names ${count} files; at most ${max} may be sent in one request.`),
  mapEntryNotArray: (field: string) => badInput(`Invalid type for the ‘map’ multipart field entry key ‘${field}’ array (${SPEC}).`),
  mapEntryNotOne: (field: string, targets: readonly unknown[]) =>
    badInput(
      targets.length === 0
        ? `The ‘map’ multipart field entry key ‘${field}’ names no variable; map each file to one.`
        : `The file ‘${field}’ is mapped to ${targets.length} variables (${targets.join(", ")}); map each file to one.`,
    ),
  mapEntryNotString: (field: string) =>
    badInput(`Invalid type for the ‘map’ multipart field entry key ‘${field}’ array index ‘0’ value (${SPEC}).`),
  mapEntryBadPath: (field: string, path: string) =>
    badInput(`Invalid object path for the ‘map’ multipart field entry key ‘${field}’ array index ‘0’ value ‘${path}’ (${SPEC}).`),
  unexpectedField: (name: string) =>
    badInput(`Unexpected multipart field ‘${name}’; a request has ‘operations’, then ‘map’, then the files (${SPEC}).`),
  fileBeforeMap: () => badInput(`Misordered multipart fields; files should follow ‘map’ (${SPEC}).`),
  filePartTwice: (field: string) => badInput(`The file part ‘${field}’ appears more than once.`),
  fileNotMapped: (field: string) =>
    badInput(`The file part ‘${field}’ is not named in the ‘map’ multipart field; send only the files it names.`),
  filesMissing: (fields: readonly string[]) => badInput(`File missing in the request: ${fields.map((f) => `‘${f}’`).join(", ")}.`),
  fileReadTwice: (field: string) => badInput(`The file ‘${field}’ can be read once; pass it to one field only.`),
  tooManyFields: () => badInput(`Too many multipart fields; a request has ‘operations’ and ‘map’ only, then the files (${SPEC}).`),
  tooManyFiles: (max: number) => badInput(`Too many files; at most ${max} may be sent in one request.`),
  tooManyParts: (max: number) => badInput(`Too many multipart parts; at most ${max} files after ‘operations’ and ‘map’.`),

  // Arguments

  /** A malformed argument, named, with what was expected: the GraphQL edge's checks. */
  badArgument,
  /** An uploadId that is empty, longer than `max`, or has spaces or controls. */
  badUploadId: (name: string, max: number) =>
    badArgument(name, `an uploadId of 1 to ${max} characters without spaces or control characters (a UUID will do)`),
  /** A value PostgreSQL refused that the edge's checks let through (a bad uuid, a NUL, too long): said by formatError. */
  malformedValue: () => badInput("An argument is malformed (not a valid id, too long, or holding a NUL byte)."),
  /** A page size outside 1..`max`. */
  badPageSize: (max: number, size: number) => badInput(`Expected ‘first’ from 1 to ${max} but received ${size}.`),
  /** An `after` that is not a cursor of this list. */
  badCursor: () => badInput("Expected ‘after’ to be an endCursor (or an edge's cursor) of this list."),
  /** A date filter whose range is empty. */
  datesReversed: () => badInput("Expected ‘createdAfter’ to be before ‘createdBefore’."),
  /** A thumbnail's width or height outside 1..THUMBNAIL_MAX_SIZE. */
  badThumbnailSize: (name: string, max: number, value: number) => badInput(`Expected ${name} between 1 and ${max} but received ${value}.`),
  /** More thumbnail widths than `max` in one request, or none. */
  badWidthCount: (max: number, count: number) => badInput(`Expected 1 to ${max} widths but received ${count}.`),
  /** A thumbnail format listed twice. */
  formatTwice: () => badInput("Each format may be asked for once."),
  /** A first or last name over `max` characters. */
  nameTooLong: (field: string, max: number, length: number) =>
    badInput(`Expected ${field} of at most ${max} characters but received ${length}.`),
  /** A crop that leaves the image. */
  cropOutside: (image: { width: number; height: number }, crop: { x: number; y: number; width: number; height: number }) =>
    badInput(
      `Expected a crop inside the image (${image.width}×${image.height}) ` +
        `but received x ${crop.x}, y ${crop.y}, width ${crop.width}, height ${crop.height}.`,
    ),
  /** A focal point's coordinate outside 0..1. */
  focalPointOutside: (axis: "x" | "y", value: number) =>
    badInput(`Expected focalPoint.${axis} from 0 to 1 (a share of the ${axis === "x" ? "width" : "height"}) but received ${value}.`),
  /** commitProfile with a crop and no stagedImageId. */
  cropWithoutImage: () => badInput("A crop applies to the staged image being committed: send stagedImageId with it."),
  /** commitProfile with a focal point, no stagedImageId and no avatar. */
  focalPointWithoutImage: () => badInput("A focal point applies to an avatar: send stagedImageId with it."),
  /** A focal point for an avatar another request replaced meanwhile. */
  avatarChanged: () => badInput("The avatar changed meanwhile; send the focal point again."),
  /** More photos than `max` in one addPhotos. */
  tooManyPhotosAtOnce: (max: number, count: number) => badInput(`Expected at most ${max} photos in one addPhotos but received ${count}.`),
  /** One staged image twice in one addPhotos. */
  photoListedTwice: (id: string) => badInput(`Staged image ${id} is listed twice; each becomes one photo.`),
  /** A photo moved past the end of the list (`count` photos). */
  badPosition: (count: number, position: number) => badInput(`Expected a position from 0 to ${count - 1} but received ${position}.`),

  // Files and images: every door

  /** A file over MAX_FILE_SIZE (`max` bytes), declared or as it arrives. */
  fileTooLarge: (max: number) => refusal(ErrorCode.FileTooLarge, `The file is larger than the limit of ${max} bytes.`),
  /** A file of no bytes. */
  emptyFile: () => badInput("The file is empty."),
  /** Bytes that are not an image of an `accepted` format (in words): the sniff, or the decoder's first look. */
  notAnImage: (accepted: string, cause?: unknown) =>
    refusal(ErrorCode.UnsupportedMediaType, `The file is not an image upstage accepts; send ${accepted}.`, { cause }),
  /** A declared content type that is not an image's (a direct upload's early word). */
  notAnImageType: (contentType: string) =>
    refusal(ErrorCode.UnsupportedMediaType, `A file of type ${contentType} is not an image; send an image file.`),
  /** An image in a format sharp reads and upstage does not take. */
  formatNotAccepted: (format: string | undefined, accepted: string) =>
    refusal(ErrorCode.UnsupportedMediaType, `Images in ${format ?? "this"} format are not accepted; send ${accepted}.`),
  /** An image header without dimensions. */
  noDimensions: () => refusal(ErrorCode.UnsupportedMediaType, "The image declares no dimensions."),
  /** A damaged or truncated image, found while decoding. */
  undecodable: (cause: unknown) =>
    refusal(ErrorCode.UnsupportedMediaType, "The image could not be decoded; the file is damaged or incomplete.", { cause }),
  /** An image over MAX_PIXELS (`max`). */
  tooManyPixels: (width: number, height: number, max: number) =>
    refusal(ErrorCode.ImageTooLarge, `The image is ${width}×${height} pixels; at most ${max} pixels are accepted.`),

  // Limits

  /** An upload that would take its owner past QUOTA_BYTES (`quota` bytes): every door, early and at insert. */
  quotaExceeded: (quota: number) =>
    refusal(ErrorCode.QuotaExceeded, `This upload would take your images past your quota of ${quota} bytes; discard some first.`),
  /** An owner who holds MAX_STAGED_PER_USER (`max`) staged images already: every door, early and at insert. */
  tooManyStaged: (max: number) =>
    refusal(
      ErrorCode.QuotaExceeded,
      `You have ${max} staged images not yet saved (MAX_STAGED_PER_USER); save or discard some, or wait for them to expire.`,
    ),
  /** addPhotos past MAX_PHOTOS_PER_USER (`max`), with `count` photos already. */
  tooManyPhotos: (count: number, adding: number, max: number) =>
    refusal(ErrorCode.QuotaExceeded, `You have ${count} photos; adding ${adding} would pass the limit of ${max}. Delete some first.`),
  /** A user with MAX_CONCURRENT_UPLOADS requests in flight on this instance: multipart and tus. */
  tooManyInFlight: () => refusal(ErrorCode.RateLimited, "Too many uploads in flight; wait for one to finish."),
  /** A subscribe past MAX_SUBSCRIPTIONS_PER_CONNECTION (`max`) on one WebSocket. */
  tooManySubscriptions: (max: number) => refusal(ErrorCode.RateLimited, `At most ${max} subscriptions per connection.`),
  /** More than RENDITIONS_PER_MINUTE (`perMinute`) new thumbnail sizes made in a minute. */
  tooManyNewSizes: (perMinute: number) =>
    refusal(
      ErrorCode.RateLimited,
      `More than ${perMinute} new thumbnail sizes in a minute (RENDITIONS_PER_MINUTE); ask for sizes made before, or wait.`,
    ),
  /** An uploadId another upload holds now: every door. */
  uploadIdBusy: () =>
    refusal(
      ErrorCode.RateLimited,
      "Another upload under this uploadId is in flight; give each upload its own uploadId, or wait for that one to end.",
    ),
  /** An uploadId another user owns: every door, and the subscription. */
  uploadIdTaken: () => refusal(ErrorCode.Forbidden, "That uploadId belongs to another user."),

  // Images and photos

  /** An image that is not there, or deleted: the same answer either way. */
  noImage: (id: string) => refusal(ErrorCode.NotFound, `No image with id ${id}.`),
  /** A staged image past its expiry. */
  stagedImageExpired: () => refusal(ErrorCode.StagedImageExpired, "The staged image has expired; upload it again."),
  /** Someone else's image, to change. */
  imageOfAnother: () => refusal(ErrorCode.Forbidden, "That image belongs to someone else."),
  /** An image's owner, status or date, asked by someone but its owner or an admin. */
  imageDetailsOwnerOnly: () => refusal(ErrorCode.Forbidden, "Only the image's owner and admins see who uploaded it, its status and when."),
  /** A committed image given where a staged one is expected. */
  alreadyCommitted: (id: string) => badInput(`Image ${id} is not a staged image: it is already used as an avatar or a photo.`),
  /** discardStagedImage on an image that is not staged (committed, or a commit won the race). */
  onlyStagedDiscarded: () => badInput("Only a staged image can be discarded."),
  /** A photo that is not there. */
  noPhoto: (id: string) => refusal(ErrorCode.NotFound, `No photo with id ${id}.`),
  /** Someone else's photo, to change. */
  photoOfAnother: () => refusal(ErrorCode.Forbidden, "That photo belongs to someone else."),

  // Direct uploads

  /** createDirectUpload or stageDirectUpload on a server without STORAGE=s3. */
  directUploadsUnavailable: () =>
    refusal(
      ErrorCode.DirectUploadsUnavailable,
      "Direct uploads need STORAGE=s3, and this server keeps its files elsewhere: send the file with stageImage, or over tus at /uploads/.",
    ),
  /** A declared byteSize that is not a positive whole number. */
  badByteSize: () => badInput("byteSize must be the file's size in bytes, at least 1."),
  /** stageDirectUpload with an uploadId other than the creation's. */
  otherUploadId: () =>
    badInput("This direct upload's progress goes out under the uploadId given to createDirectUpload (or its id); pass that one, or none."),
  /** A direct upload that is not the viewer's, or none: the same answer either way. */
  noDirectUpload: (id: string) => refusal(ErrorCode.NotFound, `No direct upload with id ${id}.`),
  /** A direct upload staged before its PUT reached the bucket: it waits. */
  nothingSentYet: () =>
    refusal(ErrorCode.NotFound, "Nothing has been sent to this direct upload yet: PUT the file to its url, then stage it."),
  /** A direct upload staged once, whose image has been removed since. */
  directUploadImageGone: () => refusal(ErrorCode.NotFound, "This direct upload was staged, and its image has since been removed."),
  /** A direct upload past its time, not staged. */
  directUploadExpired: () =>
    refusal(ErrorCode.UploadExpired, "This direct upload expired before it was staged; its bytes are gone. Upload the file again."),
  /** A direct upload another request is staging now. */
  directUploadInProgress: () =>
    refusal(ErrorCode.UploadInProgress, "This direct upload is being staged by another request; its uploadProgress says how it ends."),
  /** An object in the bucket of another size than the creation declared. */
  directUploadSizeDiffers: (declared: number, found: number) =>
    badInput(`The bucket holds ${found} bytes for this direct upload, where ${declared} were declared; upload the file again.`),
  /** A user with MAX_CONCURRENT_UPLOADS (`open`) direct uploads made and not yet staged. */
  tooManyOpenDirect: (open: number) =>
    refusal(ErrorCode.RateLimited, `You have ${open} direct uploads open, the most at once: stage or cancel one first.`),
} as const;
