import { refusals } from "../../errors/refusals.js";
import { ACCEPTED_FORMATS_IN_WORDS } from "../../images/acceptedFormats.js";
import { SNIFF_BYTES, sniffFormat } from "../sniffFormat.js";
import type { UploadContext, UploadHandler } from "../UploadHandler.js";

/**
 * Decides from the magic bytes at the head of the stream whether this is an
 * image format upstage takes, before the rest is read. The filename and the
 * client's Content-Type are never consulted. Sets `results.format`.
 */
export function createSniffHandler(): UploadHandler {
  let head = Buffer.alloc(0);
  let decided = false;

  function decide(upload: UploadContext): void {
    decided = true;
    const format = sniffFormat(head);
    if (!format) throw refusals.notAnImage(ACCEPTED_FORMATS_IN_WORDS);
    upload.results.format = format;
  }

  return {
    name: "sniff",
    chunk(data, upload) {
      if (decided) return;
      head = Buffer.concat([head, data.subarray(0, SNIFF_BYTES - head.length)]);
      if (head.length >= SNIFF_BYTES) decide(upload);
    },
    complete(upload) {
      if (!decided && upload.bytesSeen > 0) decide(upload);
    },
  };
}
