import { refusals } from "../errors/refusals.js";
import { checkUploadId } from "../progress/checkUploadId.js";

/**
 * Arguments are checked here, at the edge, before they reach the database:
 * a malformed one is BAD_USER_INPUT naming the argument (a well-formed id
 * that is not there is the resolver's NOT_FOUND or null).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** C0 and C1 controls (NUL among them), and the Unicode line and paragraph separators. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;

/** The longest user id (a JWT `sub`) upstage keeps. */
const MAX_USER_ID_LENGTH = 255;

function refuse(name: string, why: string): never {
  throw refusals.badArgument(name, why);
}

/** Whether `value` is an id as upstage writes them: a UUID in lower case (a cursor's ids are checked with it). */
export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

/** An image's or a staged image's id: a UUID, in either case. */
export function imageIdArgument(value: string, name: string): string {
  const id = value.toLowerCase();
  if (!isUuid(id)) refuse(name, "an id as upstage gives them (a UUID)");
  return id;
}

/** A user's id: what a token's `sub` may be. */
export function userIdArgument(value: string, name: string): string {
  if (value.length === 0 || value.length > MAX_USER_ID_LENGTH || CONTROL.test(value)) {
    refuse(name, `a user id of 1 to ${MAX_USER_ID_LENGTH} characters without control characters`);
  }
  return value;
}

/** A client's uploadId (the progress protocol's rule, shared with the tus door). */
export const uploadIdArgument = checkUploadId;

/** A line of text a user typed (a name): bounded, without control characters; null and undefined pass. */
export function textArgument<T extends string | null | undefined>(value: T, name: string, maxLength: number): T {
  if (typeof value !== "string") return value;
  if ([...value].length > maxLength || CONTROL.test(value)) refuse(name, `at most ${maxLength} characters without control characters`);
  return value;
}
