import fs from "node:fs/promises";
import http from "node:http";
import type { Services } from "../app/openServices.js";
import { isOperatorCommand, runOperatorCommand } from "../app/operatorCommands.js";
import { sendJson } from "./sendJson.js";

export interface OperatorCommandServer {
  close(): Promise<void>;
}

/**
 * Answers the command-line tool while this server owns the embedded
 * DATA_DIR: `POST /commands/<name>` with the command's options as JSON, on a
 * Unix socket inside DATA_DIR (mode 0600: the data directory's owner only).
 * The CLI never opens the embedded database beside the server; the server
 * runs the command on its own services instead.
 */
export async function serveOperatorCommands(socketPath: string, services: Services): Promise<OperatorCommandServer> {
  // A socket file a killed server left behind.
  await fs.rm(socketPath, { force: true });
  const server = http.createServer((request, response) => {
    const name = /^\/commands\/([\w-]+)$/.exec(request.url ?? "")?.[1];
    if (request.method !== "POST" || !name || !isOperatorCommand(name)) return sendJson(response, 404, { error: "No such command." });
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const notes: string[] = [];
      Promise.resolve()
        .then(() =>
          runOperatorCommand(services, name, JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}"), (line) => notes.push(line)),
        )
        .then(
          (result) => sendJson(response, 200, { result, notes }),
          (error: Error) => sendJson(response, 500, { error: error.message, notes }),
        );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  await fs.chmod(socketPath, 0o600);
  return {
    close: () => new Promise<void>((resolve) => server.close(() => resolve())).then(() => fs.rm(socketPath, { force: true })),
  };
}
