/**
 * The client went away before its upload was received: nobody is left to
 * answer, so this is reported as ABORTED, never as a failure with a code.
 */
export class UploadAbortedError extends Error {
  override readonly name = "UploadAbortedError";
  constructor(message = "The client went away before the upload was received.") {
    super(message);
  }
}
