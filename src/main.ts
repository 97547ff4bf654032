import { ConfigError, loadConfig } from "./config.js";
import { createServer } from "./server/createServer.js";

/** `npm start`: one server from the environment, stopped cleanly on SIGINT or SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
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
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
