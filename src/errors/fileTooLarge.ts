import { ErrorCode } from "./ErrorCode.js";
import { UpstageError } from "./UpstageError.js";

/** The refusal of a file over MAX_FILE_SIZE (`max` bytes): multipart, the limit handler, or tus. */
export function fileTooLarge(max: number): UpstageError {
  return new UpstageError(ErrorCode.FileTooLarge, `The file is larger than the limit of ${max} bytes.`);
}
