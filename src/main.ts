import { StartupError } from "./app/StartupError.js";
import { ConfigError, loadConfig, sizeThreadPool } from "./config.js";
import { UploadHandlersError } from "./uploads/createHandlerChain.js";

/** `npm start`: one server from the environment, stopped cleanly on SIGINT or SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig();
  // Before the thread pool starts: the server's modules are loaded after this.
  sizeThreadPool(config);
  // Listening for signals before the server starts: one that comes while it
  // is starting (say, right after /healthz first answers) stops it as soon as
  // it is up, instead of killing it half-made.
  let signals = 0;
  let stop: ((signal: string) => void) | undefined;
  let pending: string | undefined;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(1);
    if (stop) stop(signal);
    else pending = signal;
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  // Node prints process warnings as plain text on stderr, the AWS SDK's
  // "needs Node 22" with STORAGE=s3 among them: they go into the JSON log
  // instead, held until the server's logger exists.
  const heldWarnings: Error[] = [];
  let logWarning = (warning: Error): void => void heldWarnings.push(warning);
  process.removeAllListeners("warning");
  process.on("warning", (warning) => logWarning(warning));

  const { createServer, GRAPHQL_PATH } = await import("./server/createServer.js");
  const server = await createServer(config);
  const { log } = server;
  logWarning = (warning) => log.warn({ warning: { name: warning.name, message: warning.message } }, warning.message.split("\n")[0]!);
  heldWarnings.splice(0).forEach(logWarning);
  const page = `${server.url}/`;
  const graphql = `${server.url}${GRAPHQL_PATH}`;
  log.info(
    { page, graphql, database: server.database.kind, dataDir: config.dataDir },
    `upstage is up: the page at ${page}, the GraphQL API at ${graphql}`,
  );
  if (server.authSecret.generated) {
    log.info(`Development secret in ${config.dataDir}/auth-secret. Mint a token with: npm run token -- <username>`);
  }
  if (config.env !== "production") {
    log.info(
      `${graphql} in a browser is Apollo Sandbox, which loads from Apollo's CDN and needs the internet; offline, use the page or curl.`,
    );
  }
  stop = (signal) => {
    log.info({ signal }, "stopping");
    server.stop().then(
      () => process.exit(0),
      (error) => {
        log.error({ err: error }, "stop failed");
        process.exit(1);
      },
    );
  };
  if (pending) stop(pending);
}

main().catch((error: unknown) => {
  // What an operator can fix is said in a line (or one per bad variable); anything else with its stack.
  const known = error instanceof ConfigError || error instanceof StartupError || error instanceof UploadHandlersError;
  console.error(known ? `upstage: ${error.message}` : error);
  process.exit(1);
});
