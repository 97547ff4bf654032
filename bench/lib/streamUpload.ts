import { randomBytes } from "node:crypto";
import { postMultipart, stageImageFraming } from "../../test/helpers/rawUpload.js";

/**
 * POSTs a multipart stageImage whose file is `size` bytes generated on the fly
 * (a JPEG signature, then repeated random bytes), written with backpressure.
 * Nothing of that size is ever held in memory on either side.
 * @returns when the first body byte was written, and the response.
 */
export function streamUpload(
  graphqlUrl: string,
  token: string,
  size: number,
  uploadId: string | null,
): Promise<{ startedAt: number; status: number; body: string }> {
  const { head, tail, contentType } = stageImageFraming(uploadId, "big.jpg");
  const block = randomBytes(1024 * 1024);
  block.set([0xff, 0xd8, 0xff, 0xe0], 0);
  return new Promise((resolve, reject) => {
    const request = postMultipart(graphqlUrl, { contentType, contentLength: head.length + size + tail.length, token });
    let startedAt = 0;
    request.on("error", reject);
    request.on("response", (response) => {
      let body = "";
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ startedAt, status: response.statusCode!, body }));
    });
    void (async () => {
      startedAt = performance.now();
      request.write(head);
      for (let sent = 0; sent < size; ) {
        const piece = sent === 0 ? block : block.subarray(0, Math.min(block.length, size - sent));
        const chunk = piece.subarray(0, Math.min(piece.length, size - sent));
        sent += chunk.length;
        if (!request.write(chunk)) await new Promise((r) => request.once("drain", r));
      }
      request.end(tail);
    })();
  });
}
