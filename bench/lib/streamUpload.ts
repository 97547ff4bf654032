import { randomBytes } from "node:crypto";
import http from "node:http";

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
  const boundary = `----bench${randomBytes(6).toString("hex")}`;
  const query = "mutation ($file: Upload!, $id: ID) { stageImage(file: $file, uploadId: $id) { id } }";
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query, variables: { file: null, id: uploadId } })}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const block = randomBytes(1024 * 1024);
  block.set([0xff, 0xd8, 0xff, 0xe0], 0);
  const url = new URL(graphqlUrl);
  return new Promise((resolve, reject) => {
    const request = http.request({
      hostname: url.hostname,
      port: url.port,
      path: url.pathname,
      method: "POST",
      headers: {
        "content-type": `multipart/form-data; boundary=${boundary}`,
        "content-length": head.length + size + tail.length,
        "apollo-require-preflight": "1",
        authorization: `Bearer ${token}`,
      },
    });
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
