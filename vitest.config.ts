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
  },
});
