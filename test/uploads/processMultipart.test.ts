import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { MultipartError, processMultipart } from "../../src/uploads/processMultipart.js";

/**
 * A real connection whose client sends a multipart head and goes away before
 * the server gets round to reading it (as when the token check is slow).
 */
async function requestGoneBeforeRead(): Promise<http.IncomingMessage> {
  let server!: http.Server;
  const arrived = new Promise<http.IncomingMessage>((resolve) => {
    server = http.createServer((request) => request.once("close", () => resolve(request)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const boundary = "gone";
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"mutation($f: Upload!) { stageImage(file: $f) { id } }","variables":{"f":null}}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.f"]}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
  const client = http.request({
    port,
    host: "127.0.0.1",
    method: "POST",
    path: "/graphql",
    headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": head.length + 100_000 },
  });
  client.on("error", () => {});
  client.write(head, () => client.destroy());
  const request = await arrived;
  server.close();
  return request;
}

describe("processMultipart", () => {
  it("rejects at once, as a disconnect, a request whose client left before it was read", async () => {
    const request = await requestGoneBeforeRead();
    const parsing = processMultipart(request, { maxFieldSize: 1_000_000, maxFileSize: 1_000_000, maxFiles: 1 });
    await expect(parsing).rejects.toBeInstanceOf(MultipartError);
    await expect(parsing).rejects.toMatchObject({ status: 499 });
  });
});
