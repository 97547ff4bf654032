import fs from "node:fs";
import path from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The unit seams: tests that start no server, no process and no database
 * (`npm run test:quick`, for the edit-run loop). Everything else starts the
 * real thing, and gets a migrated database template from the global setup.
 */
const unitSeams = [
  "test/config.test.ts",
  "test/architecture/layering.test.ts",
  "test/errors/errorCodes.test.ts",
  "test/images/renderThumbnails.test.ts",
  "test/storage/storageContract.test.ts",
  "test/uploads/createHandlerChain.test.ts",
  "test/uploads/createResumableChains.test.ts",
  "test/uploads/processMultipart.test.ts",
];

/**
 * vitest starts the longest files first once a run has cached their
 * durations, and the largest files on a first run (a fresh clone). Here the
 * files that start processes go first on a first run too: they are the
 * longest, and one left to run alone at the end would set the suite's time.
 */
class ProcessesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const cached = (spec: TestSpecification) =>
      this.ctx.cache.getFileTestResults(`${spec.project.name}:${path.relative(this.ctx.config.root, spec.moduleId)}`) !== undefined;
    if (sorted.every(cached)) return sorted;
    const startsProcesses = (spec: TestSpecification) =>
      /\b(spawnServer|failedStart|spawnCli)\(/.test(fs.readFileSync(spec.moduleId, "utf8"));
    return [...sorted.filter(startsProcesses), ...sorted.filter((spec) => !startsProcesses(spec))];
  }
}

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (`main`) and ESM (`module`) without an exports map.
    // Node, and so npm start, loads `main` for every importer; Vite would give
    // our sources `module` while dependencies get `main`: two graphql realms,
    // and "Cannot use GraphQLSchema from another module or realm".
    alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }],
  },
  test: {
    // Each file starts its own servers; forks keep sharp's and PGlite's native state apart.
    pool: "forks",
    // Most of a file's time is spent waiting on sockets, child processes and
    // PGlite, so three forks keep two cores busy (vitest's default is cores - 1: one).
    // All three live for the whole run: a non-isolated fork that tinypool
    // retires when idle fails the run with "Terminating worker thread" (vitest#8564).
    maxWorkers: 3,
    minWorkers: 3,
    // A fork runs file after file without loading the server's modules anew
    // for each (that was a third of the suite's CPU). So a test file leaves
    // nothing behind: every server, socket and timer it opens is disposed in
    // its hooks, and the sources keep no module state (STYLE.md, 3).
    isolate: false,
    sequence: { sequencer: ProcessesFirst },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      // The suite runs on Node 20 on purpose (engines). The AWS SDK's warning
      // that its 2027 releases need Node 22 would print as plain text once per
      // test file that makes an S3 client in the test process; a spawned
      // server's copy is checked to land in its JSON log (processLifecycle.test).
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
    projects: [
      { extends: true, test: { name: "unit", include: unitSeams } },
      { extends: true, test: { name: "system", include: ["test/**/*.test.ts"], exclude: unitSeams, globalSetup: ["test/globalSetup.ts"] } },
    ],
  },
});
