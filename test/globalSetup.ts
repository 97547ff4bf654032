// Once per `vitest run`: names this run and migrates the database templates
// its test servers copy (test/helpers/testDatabases.ts); at its end, removes
// them and drops every PostgreSQL database the run made (upstage_test_<run>_…),
// even those of a test that failed or a worker that died before its own clean-up ran.
import { randomBytes } from "node:crypto";
import { dropRunDatabases, prepareTemplates } from "./helpers/testDatabases.js";

export default async function setup(): Promise<() => Promise<void>> {
  const run = randomBytes(4).toString("hex");
  const adminUrl = process.env["DATABASE_URL"];
  // The workers are forked after this, and inherit what it puts in the environment.
  const removeEmbedded = await prepareTemplates(run, adminUrl);
  return async function teardown() {
    await removeEmbedded();
    if (adminUrl) await dropRunDatabases(adminUrl, run);
  };
}
