import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { ACCEPTED_FORMATS_IN_WORDS } from "./acceptedFormats.js";

/** The refusal of a file whose bytes are not an accepted image's (the sniff, multipart or tus). */
export function notAnImage(options?: ErrorOptions): UpstageError {
  return new UpstageError(
    ErrorCode.UnsupportedMediaType,
    `The file is not an image upstage accepts; send ${ACCEPTED_FORMATS_IN_WORDS}.`,
    options,
  );
}
