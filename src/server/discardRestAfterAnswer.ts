import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Once the response is out, reads and throws away what the client still sends
 * of its body, then lets the connection be reused. A client that is still
 * writing when its refusal arrives (fetch is) would otherwise see a closed or
 * reset connection instead of the answer it has not read yet ("fetch failed:
 * other side closed"), or send its next request on a socket about to close.
 * A body that has not ended `graceMs` after the answer loses its connection,
 * so a refused client cannot hold one by sending slowly, or for ever.
 */
export function discardRestAfterAnswer(request: IncomingMessage, response: ServerResponse, graceMs = 2000): void {
  request.pause();
  response.once("finish", () => {
    if (request.readableEnded) return;
    const timer = setTimeout(() => request.socket.destroy(), graceMs);
    timer.unref();
    const done = () => clearTimeout(timer);
    request.once("end", done);
    request.once("close", done);
    request.resume();
  });
}
