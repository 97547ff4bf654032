import type { IncomingMessage } from "node:http";

/** Counts the bytes of a request body as they are read from the network. */
export interface BodyMeter {
  /** The request's Content-Length, or null when it sent none. */
  readonly bytesTotal: number | null;
  readonly bytesReceived: number;
  /** True once the whole body has been read. */
  readonly ended: boolean;
  /** True when the connection closed before the body ended: the client went away. */
  readonly aborted: boolean;
  /** Calls `listener` after each chunk and at the end; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

/**
 * Observes a request's raw body. A second 'data' listener beside the parser's
 * pipe sees every chunk without changing the flow: when the parser pauses the
 * request, no chunks arrive for either.
 */
export function meterRequestBody(request: IncomingMessage): BodyMeter {
  const header = request.headers["content-length"];
  const bytesTotal = header !== undefined && /^\d+$/.test(header) ? Number(header) : null;
  const listeners = new Set<() => void>();
  let bytesReceived = 0;
  let ended = false;
  let aborted = false;
  const notify = () => {
    for (const listener of listeners) listener();
  };
  request.on("data", (chunk: Buffer) => {
    bytesReceived += chunk.length;
    notify();
  });
  request.on("end", () => {
    ended = true;
    notify();
  });
  request.on("close", () => {
    aborted = !ended;
  });
  return {
    bytesTotal,
    get bytesReceived() {
      return bytesReceived;
    },
    get ended() {
      return ended;
    },
    get aborted() {
      return aborted;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
