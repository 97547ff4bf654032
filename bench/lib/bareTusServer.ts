/**
 * The B9 baseline, run as its own process (as upstage is): a bare
 * `@tus/server` with `@tus/file-store` in a directory of its own, on
 * loopback, nothing else. Prints its port on stdout.
 */
import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { FileStore } from "@tus/file-store";
import { Server } from "@tus/server";

const directory = await fs.mkdtemp(path.join(os.tmpdir(), "upstage-bare-tus-"));
const tus = new Server({ path: "/uploads", datastore: new FileStore({ directory }) });
const server = http.createServer((request, response) => void tus.handle(request, response));
server.listen(0, "127.0.0.1", () => console.log((server.address() as { port: number }).port));
process.once("SIGTERM", () => {
  server.close();
  void fs.rm(directory, { recursive: true, force: true }).then(() => process.exit(0));
});
