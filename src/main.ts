import { StartupError } from "./app/StartupError.js";
import { ConfigError, loadConfig, sizeThreadPool } from "./config.js";
import { UploadHandlersError } from "./uploads/createHandlerChain.js";

/** `npm start`: one server from the environment, stopped cleanly on SIGINT or SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig();
  // Before the thread pool starts: the server's modules are loaded after this.
  sizeThreadPool(config);
  const { createServer } = await import("./server/createServer.js");
  const server = await createServer(config);
  const { log } = server;
  log.info({ url: server.url, database: server.database.kind, dataDir: config.dataDir }, `upstage listening on ${server.url}/graphql`);
  if (server.authSecret.generated) {
    log.info(`Development secret in ${config.dataDir}/auth-secret. Mint a token with: npm run token -- <username>`);
  }
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(1);
    log.info({ signal }, "stopping");
    server.stop().then(
      () => process.exit(0),
      (error) => {
        log.error({ err: error }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((error: unknown) => {
  // What an operator can fix is said in a line (or one per bad variable); anything else with its stack.
  const known = error instanceof ConfigError || error instanceof StartupError || error instanceof UploadHandlersError;
  console.error(known ? `upstage: ${error.message}` : error);
  process.exit(1);
});
