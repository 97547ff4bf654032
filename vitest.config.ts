import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (`main`) and ESM (`module`) without an exports map.
    // Node, and so npm start, loads `main` for every importer; Vite would give
    // our sources `module` while dependencies get `main`: two graphql realms,
    // and "Cannot use GraphQLSchema from another module or realm".
    alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/globalSetup.ts"],
    // Each file starts its own servers; forks keep sharp's and PGlite's native state apart.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      // The suite runs on Node 20 on purpose (engines). The AWS SDK's warning
      // that its 2027 releases need Node 22 would print as plain text once per
      // test file that makes an S3 client in the test process; a spawned
      // server's copy is checked to land in its JSON log (processLifecycle).
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
  },
});
