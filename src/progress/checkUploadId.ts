import { refusals } from "../errors/refusals.js";

/** The longest uploadId: a UUID is 36. */
const MAX_UPLOAD_ID_LENGTH = 128;
/** C0 and C1 controls (NUL among them), and the Unicode line and paragraph separators. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;

/**
 * A client's uploadId, as any transport receives it (a GraphQL argument, a
 * tus upload's metadata): 1 to 128 characters, no spaces or control characters.
 * @throws UpstageError BAD_USER_INPUT naming `name`.
 */
export function checkUploadId(value: string, name = "uploadId"): string {
  if (value.length === 0 || value.length > MAX_UPLOAD_ID_LENGTH || CONTROL.test(value) || /\s/.test(value)) {
    throw refusals.badUploadId(name, MAX_UPLOAD_ID_LENGTH);
  }
  return value;
}
