/**
 * The layering of src/, checked by `npm test` (npm run lint:deps). Data flows
 * one way: server/ and graphql/ (transports) → flows/ (use cases across
 * services) → uploads/ (intake), progress/ (the bus), staging/ (the domain)
 * → images/, storage/, db/. A failing rule names the arrow that has to go.
 * Within a layer, a module holds one concern (a use case, a table's queries,
 * a door, the reads resolvers make), not one export: a file that only passed
 * a call through belongs to its concern's module.
 */
const SERVICES = "^src/(staging|images|storage|db|progress|flows|uploads)/";
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "An import cycle: one of its arrows has to go.",
      from: {},
      to: { circular: true },
    },
    {
      name: "services-no-transport",
      severity: "error",
      comment: "Services import no HTTP, WebSocket or GraphQL code: that is server/'s and graphql/'s job.",
      from: { path: SERVICES },
      to: {
        path: ["^src/(server|graphql|web|cli|app)/", "(^|/)node_modules/(graphql|graphql-ws|ws|@apollo/server)/"],
      },
    },
    {
      name: "services-no-node-http",
      severity: "error",
      comment: "Only intake (uploads/) reads an HTTP request; the other services never see one.",
      from: { path: "^src/(staging|images|storage|db|progress|flows)/" },
      to: { path: "^(node:)?(http|https|http2|net)$" },
    },
    {
      name: "intake-not-staging",
      severity: "error",
      comment: "uploads/ hands staging a ReceivedFile; it never calls into staging/ or the flows above it.",
      from: { path: "^src/uploads/" },
      to: { path: "^src/(staging|flows)/" },
    },
    {
      name: "staging-not-intake",
      severity: "error",
      comment: "staging/ consumes a ReceivedFile and imports nothing of intake or progress.",
      from: { path: "^src/staging/" },
      to: { path: "^src/(uploads|progress|flows)/" },
    },
    {
      name: "progress-alone",
      severity: "error",
      comment: "progress/ is the bus: it knows nothing of intake or staging.",
      from: { path: "^src/progress/" },
      to: { path: "^src/(uploads|staging|flows)/" },
    },
    {
      name: "config-is-data",
      severity: "error",
      comment: "config.ts reads the environment and holds data; it imports no module of the code it configures.",
      from: { path: "^src/config\\.ts$" },
      to: { path: "^src/" },
    },
    {
      name: "resolvers-call-services",
      severity: "error",
      comment:
        "graphql/ translates: it calls staging/ and flows/, never db/ (a row's type is fine). Access rules live in staging/access.ts.",
      from: { path: "^src/graphql/" },
      to: { path: "^src/db/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "wiring-not-db",
      severity: "error",
      comment:
        "server/ wires transports to flows/ and staging/; it never reaches db/ itself, not even for a type. Queries go through the services that own them.",
      from: { path: "^src/server/" },
      to: { path: "^src/db/" },
    },
    {
      name: "flows-not-wiring",
      severity: "error",
      comment: "flows/ are called by the transports and call the services: nothing below server/ and graphql/ imports them back.",
      from: { path: "^src/(staging|images|storage|db|progress|uploads)/" },
      to: { path: "^src/flows/" },
    },
    {
      name: "errors-are-leaves",
      severity: "error",
      comment: "errors/ is the contract's codes and their error type: every layer imports it, so it imports nothing of the project.",
      from: { path: "^src/errors/" },
      to: { path: "^src/", pathNot: "^src/errors/" },
    },
    {
      name: "doors-side-by-side",
      severity: "error",
      comment:
        "The tus door (server/createResumableUploads.ts) and GraphQL are two transports over the same services: neither imports the other's code (a shared rule, such as an uploadId's, lives below both).",
      from: { path: "^src/server/createResumableUploads\\.ts$" },
      to: { path: "^src/graphql/" },
    },
    {
      name: "sql-in-db",
      severity: "error",
      comment: "SQL lives in db/: nothing else builds queries with knex.",
      from: { path: "^src/", pathNot: "^src/db/" },
      to: { path: "(^|/)node_modules/knex/", dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^src/(client|web)/generated/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
