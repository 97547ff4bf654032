// Once per `vitest run`: names this run, and at its end drops every PostgreSQL
// database the run made (upstage_test_<run>_…), even those of a test that failed
// or a worker that died before its own clean-up ran.
import { randomBytes } from "node:crypto";
import pg from "pg";

export default function setup(): () => Promise<void> {
  const run = randomBytes(4).toString("hex");
  // The workers are forked after this, and inherit it (createTestDatabase reads it).
  process.env["UPSTAGE_TEST_RUN"] = run;
  return async function teardown() {
    const adminUrl = process.env["DATABASE_URL"];
    if (!adminUrl) return;
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [`upstage_test_${run}_%`]);
      for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
  };
}
