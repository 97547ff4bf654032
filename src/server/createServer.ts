import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import type { DestinationStream, Logger } from "pino";
import { openServices } from "../app/openServices.js";
import type { Stores } from "../app/openStores.js";
import { redactUrl, StartupError, systemCodeOf } from "../app/StartupError.js";
import { createAuthenticator } from "../auth/createAuthenticator.js";
import { type AuthSecret, loadAuthSecret } from "../auth/loadAuthSecret.js";
import { mintToken } from "../auth/mintToken.js";
import type { Config } from "../config.js";
import { type DirectUploadDeps, forgetCutStages, sweepExpiredDirectUploads } from "../flows/directUploads.js";
import type { StageUploadDeps } from "../flows/stageUpload.js";
import { createUploadsInFlight } from "../flows/uploadsInFlight.js";
import type { GraphQLContext, UploadOptionsModel } from "../graphql/context.js";
import { createOperationPolicy } from "../graphql/createOperationPolicy.js";
import { createProfileLoader } from "../graphql/createProfileLoader.js";
import { createSchema } from "../graphql/createSchema.js";
import { ACCEPTED_MEDIA_TYPE_LIST } from "../images/acceptedFormats.js";
import { createMemoryProgressBus } from "../progress/createMemoryProgressBus.js";
import { PROGRESS_FLUSH_MS } from "../progress/createProgressReporter.js";
import { createRedisProgressBus } from "../progress/createRedisProgressBus.js";
import type { ProgressBus } from "../progress/ProgressBus.js";
import type { Viewer } from "../staging/access.js";
import { createViewerLookup } from "../staging/createViewerLookup.js";
import { cleanPendingFiles } from "../staging/fileIntents.js";
import { createSweeper, reconcileStaged, type Sweeper } from "../staging/sweeping.js";
import { rendersOnMiss, servableContentType } from "../staging/thumbnails.js";
import type { Storage } from "../storage/Storage.js";
import type { UploadHandlerFactory } from "../uploads/createHandlerChain.js";
import { createResumableChains } from "../uploads/createResumableChains.js";
import type { BodyMeter } from "../uploads/meterRequestBody.js";
import { attachGraphQLWebSocket, type GraphQLWebSocket } from "./attachGraphQLWebSocket.js";
import { attachRoutes } from "./attachRoutes.js";
import { checkReadiness } from "./checkReadiness.js";
import { createDevTokenHandler, DEV_TOKEN_PATH, DEV_USERNAME } from "./createDevTokenHandler.js";
import { createGraphQLHttpHandler } from "./createGraphQLHttpHandler.js";
import { createMediaHandler, MEDIA_PREFIX } from "./createMediaHandler.js";
import { createRedisLocker } from "./createRedisLocker.js";
import { createResumableUploads, RESUMABLE_PATH, type ResumableUploads } from "./createResumableUploads.js";
import { createUploadTracker, type UploadTracker } from "./createUploadTracker.js";
import { createWebPagesHandler, WEB_PAGE_PATHS } from "./createWebPagesHandler.js";
import { sandboxLandingPage } from "./sandboxLandingPage.js";
import { serveOperatorCommands } from "./serveOperatorCommands.js";
import { serviceUnavailableStatus } from "./serviceUnavailableStatus.js";

export const GRAPHQL_PATH = "/graphql";

export interface UpstageServer {
  /** The base URL clients use (PUBLIC_URL, or http://localhost:<port>). */
  readonly url: string;
  readonly port: number;
  readonly database: Stores["database"];
  readonly storage: Storage;
  readonly sweeper: Sweeper;
  readonly authSecret: AuthSecret;
  readonly log: Logger;
  /**
   * Stops accepting connections, lets running uploads finish within
   * SHUTDOWN_GRACE (then cuts them), closes sockets, stops the sweeper and
   * closes the bus, the scratch directory and the database.
   */
  stop(): Promise<void>;
}

export interface ServerOverrides {
  /** Where the JSON log lines go; stdout by default. */
  readonly logDestination?: DestinationStream;
  /** Wraps the storage the server made (to observe it, or to inject faults in tests). */
  readonly wrapStorage?: (storage: Storage) => Storage;
  /** Wraps the progress bus the server made (to observe its subscriptions in tests). */
  readonly wrapProgressBus?: (bus: ProgressBus) => ProgressBus;
  /** Upload handlers of the application's, by name, for UPLOAD_HANDLERS to list beside the built-in ones. */
  readonly uploadHandlers?: Readonly<Record<string, UploadHandlerFactory>>;
  /** Apollo Server plugins of the application's; one may change a request's upload handlers. */
  readonly plugins?: readonly ApolloServerPlugin<GraphQLContext>[];
}

/**
 * Makes and starts one upstage server on `config.port` (0 picks a free one):
 * the stores (database migrated, scratch, local or S3 storage), progress bus,
 * metrics and sweeper, and the HTTP routes `/graphql` (HTTP and WebSocket),
 * `/media/…`, `/healthz`, `/readyz`, `/metrics` and the profile page at `/`.
 * This is the one place that chooses implementations.
 */
export async function createServer(config: Config, overrides: ServerOverrides = {}): Promise<UpstageServer> {
  /** What the metrics' gauges read, once it is made. */
  const live: { uploads?: UploadTracker; webSocket?: GraphQLWebSocket } = {};
  const services = await openServices(config, {
    logDestination: overrides.logDestination,
    wrapStorage: overrides.wrapStorage,
    uploadHandlers: overrides.uploadHandlers,
    gauges: { activeUploads: () => live.uploads?.size ?? 0, activeSubscriptions: () => live.webSocket?.subscriptionCount() ?? 0 },
  });
  const { log, metrics, staging, stores } = services;
  const { database, storage } = stores;
  /** What is open so far, closed in reverse when the start fails. */
  const opened: (() => Promise<unknown>)[] = [() => services.close()];
  try {
    const authSecret = await loadAuthSecret(config);
    const authenticator = createAuthenticator(authSecret.key, {
      allowNoExpiry: config.authAllowNoExpiry,
      adminRoleClaim: config.adminRoleClaim,
    });
    const waitForStartMs = config.uploads.waitTimeoutSeconds * 1000;
    const bus = config.redisUrl
      ? await createRedisProgressBus({
          url: config.redisUrl,
          waitForStartMs,
          onConnectionError: (error, connection) =>
            log.warn({ err: error, connection }, "Redis progress bus unreachable; progress is best-effort meanwhile"),
        }).catch((error: unknown) => {
          throw new StartupError(
            "REDIS_URL",
            `REDIS_URL ${redactUrl(config.redisUrl!)} is unreachable (${systemCodeOf(error)}): ` +
              "start Redis there, or unset REDIS_URL for the in-process bus.",
            { cause: error },
          );
        })
      : createMemoryProgressBus({ waitForStartMs });
    const progress = overrides.wrapProgressBus ? overrides.wrapProgressBus(bus) : bus;
    opened.push(() => progress.close());

    /** The uploads under way on this instance, through any door, and their one way out: a stop ends each with ABORTED. */
    const inFlight = createUploadsInFlight({ staging });
    const directUploads: DirectUploadDeps = {
      staging,
      progress,
      inFlight,
      bucket: stores.directUploads,
      newUploadHandlers: services.newUploadHandlers,
      limits: {
        maxFileSize: config.uploads.maxFileSize,
        quotaBytes: config.uploads.quotaBytes,
        maxStagedPerUser: config.uploads.maxStagedPerUser,
        maxOpen: config.uploads.maxConcurrentPerUser,
        urlTtlSeconds: config.uploads.directUploadTtlSeconds,
      },
    };
    /** Made once the viewer's lookup exists (below); the sweeper asks it for expired uploads. */
    let resumable: ResumableUploads | undefined;
    const sweeper = createSweeper(staging, {
      intervalSeconds: config.staging.sweepIntervalSeconds,
      alsoSweep: async (now) => (await sweepExpiredDirectUploads(directUploads, now)) + ((await resumable?.sweepExpired(now)) ?? 0),
      exclusive: services.alone.sweep,
      onSweep(result) {
        if (result instanceof Error) return metrics.sweeperRuns.inc({ result: "failed" });
        metrics.sweeperRuns.inc({ result: result.skipped ? "skipped" : "swept" });
        metrics.sweptImages.inc(result.removed);
      },
    });
    // What a crash left: files without rows (the intent log), and staged rows without files.
    await cleanPendingFiles(staging);
    // The embedded database is this process's alone: a direct upload's stage that its last run held was cut by a crash.
    if (services.dataDirLock) await forgetCutStages(directUploads);
    const reconciled = await services.alone.reconcile(() => reconcileStaged(staging));
    if (reconciled.ran && reconciled.result > 0) {
      log.warn({ images: reconciled.result }, "staged images without their files were marked for deletion");
    }

    let publicUrl = config.publicUrl ?? "";
    // An on-demand rendition is always served through /media/, which renders it again after an eviction.
    const mediaUrl = async (key: string) =>
      (rendersOnMiss(key, staging.options.presets) ? undefined : await storage.urlOf(key)) ?? `${publicUrl}${MEDIA_PREFIX}${key}`;
    const uploading: StageUploadDeps = { staging, progress, inFlight };
    const uploadOptions = (): UploadOptionsModel => ({
      maxFileSize: config.uploads.maxFileSize,
      acceptedFormats: [...ACCEPTED_MEDIA_TYPE_LIST],
      multipart: true,
      resumable: true,
      resumableEndpoint: `${publicUrl}${RESUMABLE_PATH}/`,
      direct: directUploads.bucket !== undefined,
      maxConcurrentUploads: config.uploads.maxConcurrentPerUser,
    });
    const contextFor = (viewer: Viewer | null, meter: BodyMeter | null = null): GraphQLContext => ({
      viewer,
      staging,
      progress,
      uploading,
      directUploads,
      uploadOptions,
      mediaUrl,
      profiles: createProfileLoader(staging),
      upload: meter ? { meter, handlers: services.newUploadHandlers() } : null,
    });
    const { viewerOf, connectingViewerOf } = createViewerLookup(database, (authorization) => authenticator.authenticate(authorization));

    resumable = await createResumableUploads(
      {
        staging,
        progress,
        inFlight,
        chains: createResumableChains(),
        newUploadHandlers: services.newUploadHandlers,
        limits: {
          maxFileSize: config.uploads.maxFileSize,
          quotaBytes: config.uploads.quotaBytes,
          maxStagedPerUser: config.uploads.maxStagedPerUser,
          ttlSeconds: config.uploads.resumableTtlSeconds,
        },
      },
      {
        directory: config.uploads.resumableDir,
        viewerOf,
        admit: (userId, request) => uploads.admit(userId, request),
        mediaUrl,
        locker: config.redisUrl
          ? await createRedisLocker(config.redisUrl, {
              onConnectionError: (error, connection) =>
                log.warn({ err: error, connection }, "Redis for tus locks unreachable; resumable uploads wait for it"),
            })
          : undefined,
      },
    );
    opened.push(() => resumable!.close());

    let stopping: Promise<void> | undefined;
    const httpServer = http.createServer();
    // A stalled client must not hold a connection (and an upload's temp file) for ever.
    httpServer.headersTimeout = 30_000;
    httpServer.requestTimeout = 10 * 60_000;
    const schema = createSchema();
    const production = config.env === "production";
    // One policy for both transports: the same rules, the same masking.
    const policy = createOperationPolicy({ production, log: (error) => log.error({ err: error }, "unexpected error in a resolver") });
    const webSocket = attachGraphQLWebSocket(
      httpServer,
      GRAPHQL_PATH,
      {
        schema,
        viewerOf: connectingViewerOf,
        contextFor,
        policy,
        onSocketError: (error) => log.info({ err: error }, "WebSocket closed: the client's message was refused"),
      },
      { maxSubscriptions: config.maxSubscriptionsPerConnection, maxSocketsPerUser: config.maxSocketsPerUser },
    );
    const uploads = createUploadTracker({ maxPerUser: config.uploads.maxConcurrentPerUser });
    live.uploads = uploads;
    live.webSocket = webSocket;
    // One-click sign-in on the profile page: only on the generated development secret.
    const devSignIn = authSecret.generated && !production;
    const apollo = new ApolloServer<GraphQLContext>({
      schema,
      csrfPrevention: true,
      validationRules: [...policy.validationRules],
      // The policy's rules refuse introspection in production; Apollo's own switch would be a second place.
      introspection: true,
      hideSchemaDetailsFromClientErrors: production,
      // stop() orders the shutdown (uploads before sockets); Apollo must not start its own on SIGTERM.
      stopOnTerminationSignals: false,
      formatError: policy.formatError,
      plugins: [
        serviceUnavailableStatus(),
        ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownGraceSeconds * 1000 }),
        // Apollo Sandbox on GET /graphql from a browser, in development only.
        production
          ? ApolloServerPluginLandingPageDisabled()
          : sandboxLandingPage({
              url: () => publicUrl,
              graphqlPath: GRAPHQL_PATH,
              devToken: devSignIn ? await mintToken(authSecret.key, DEV_USERNAME, { roleClaim: config.adminRoleClaim }) : undefined,
            }),
        ...(overrides.plugins ?? []),
      ],
    });
    await apollo.start();
    opened.push(() => apollo.stop());

    attachRoutes(httpServer, {
      graphql: createGraphQLHttpHandler(
        { apollo, uploads, viewerOf, contextFor },
        { maxFileSize: config.uploads.maxFileSize, idleTimeoutMs: config.uploads.idleTimeoutSeconds * 1000 },
      ),
      media: createMediaHandler({
        contentTypeOf: (key) => servableContentType(staging, key),
        storage,
        deletions: services.deletions,
        onUnavailable: (error, key) => log.warn({ err: error, key }, "media not served: the storage or the database cannot answer"),
      }),
      resumable: { path: RESUMABLE_PATH, handler: resumable.handle },
      webPages: createWebPagesHandler({ graphqlPath: GRAPHQL_PATH, devTokenPath: devSignIn ? DEV_TOKEN_PATH : undefined }),
      webPagePaths: WEB_PAGE_PATHS,
      devToken: devSignIn
        ? { path: DEV_TOKEN_PATH, handler: createDevTokenHandler(authSecret.key, { roleClaim: config.adminRoleClaim }) }
        : undefined,
      graphqlPath: GRAPHQL_PATH,
      mediaPrefix: MEDIA_PREFIX,
      readiness: () =>
        checkReadiness(
          {
            database: () => database.check(),
            progressBus: () => progress.check(),
            storage: () => storage.check(),
          },
          (name, error) => log.warn({ err: error, check: name }, "readiness check failed"),
        ),
      metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
      stopping: () => stopping !== undefined,
      log,
    });

    opened.push(() => webSocket.close());
    await new Promise<void>((resolve, reject) => {
      httpServer.once("error", (error: NodeJS.ErrnoException) => {
        if (error.code !== "EADDRINUSE" && error.code !== "EACCES") return reject(error);
        const why = error.code === "EADDRINUSE" ? "is in use by another process" : "may not be opened by this user";
        reject(
          new StartupError("PORT", `PORT ${config.port} on ${config.host} ${why}: stop that process, or set PORT to a free port.`, {
            cause: error,
          }),
        );
      });
      httpServer.listen(config.port, config.host, () => {
        httpServer.removeAllListeners("error");
        resolve();
      });
    });
    const port = (httpServer.address() as AddressInfo).port;
    publicUrl ||= `http://localhost:${port}`;
    // The command-line tool's way in while this process owns the embedded DATA_DIR.
    const commandServer = services.dataDirLock
      ? await serveOperatorCommands(services.dataDirLock.commandSocket, services).catch((error: unknown) => {
          log.warn({ err: error }, "the command socket could not be opened; CLI commands will be refused while this server runs");
          return undefined;
        })
      : undefined;
    sweeper.start();

    return {
      url: publicUrl,
      port,
      database,
      storage,
      sweeper,
      authSecret,
      log,
      stop() {
        stopping ??= (async () => {
          // No new connections; running uploads get the grace period to finish,
          // then are cut (ABORTED) while their subscribers can still hear it.
          // net.Server's close only stops listening: http.Server's would also
          // close "idle" connections, which include upgraded WebSocket sockets,
          // and subscribers must hear how running uploads end.
          net.Server.prototype.close.call(httpServer);
          // Uploads past the grace, through either door, are ended with
          // ABORTED (every subscriber hears it before its socket closes),
          // then cut. Their image jobs may finish or not; the intent log
          // covers their files, and a tus upload resumes on the next start.
          await uploads.drain(config.shutdownGraceSeconds * 1000, () => inFlight.abortAll());
          await inFlight.abortAll();
          // Their last events are on the bus: the sockets close once each subscription has written its own
          // (a subscriber still waiting for an upload to begin is not waited for past PROGRESS_FLUSH_MS).
          await webSocket.settled(PROGRESS_FLUSH_MS);
          await webSocket.close();
          await apollo.stop();
          await sweeper.stop();
          // Image jobs under way get a moment to settle; jobs still waiting are dropped.
          await staging.images.settle(5000);
          await progress.close();
          await resumable!.close();
          await commandServer?.close();
          await services.close();
        })();
        return stopping;
      },
    };
  } catch (error) {
    // A start that fails closes whatever it had opened.
    for (const close of opened.reverse()) await close().catch(() => {});
    throw error;
  }
}
