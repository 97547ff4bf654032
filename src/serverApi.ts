// `import … from "upstage/server"`: what an application embedding upstage
// uses to start it, extend its upload handler chain and refuse with a code.
// Everything else under src/ is internal and may change without notice.

export { mintToken } from "./auth/mintToken.js";
export { type Config, ConfigError, loadConfig } from "./config.js";
export { ErrorCode } from "./errors/ErrorCode.js";
export { UpstageError } from "./errors/UpstageError.js";
export type { GraphQLContext } from "./graphql/context.js";
export { createServer, GRAPHQL_PATH, type ServerOverrides, type UpstageServer } from "./server/createServer.js";
export type { UploadHandlerDeps, UploadHandlerFactory } from "./uploads/createHandlerChain.js";
export type { UploadContext, UploadHandler, UploadResults } from "./uploads/UploadHandler.js";
