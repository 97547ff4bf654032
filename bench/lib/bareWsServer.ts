/**
 * The B5 baseline, run as its own process (as upstage is): a bare `ws` server
 * that sends each client a timestamped message of `size` bytes every
 * `intervalMs`. Prints its port on stdout.
 */
import { WebSocketServer } from "ws";

const size = Number(process.argv[2] ?? 200);
const intervalMs = Number(process.argv[3] ?? 50);
const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
server.on("connection", (socket) => {
  const timer = setInterval(() => {
    const message = JSON.stringify({ at: Date.now(), pad: "" });
    socket.send(message.replace('"pad":""', `"pad":"${"x".repeat(Math.max(0, size - message.length))}"`));
  }, intervalMs);
  socket.on("close", () => clearInterval(timer));
});
server.on("listening", () => console.log((server.address() as { port: number }).port));
