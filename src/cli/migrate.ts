import { loadConfig } from "../config.js";
import { createDatabase } from "../db/createDatabase.js";

/** `npm run migrate`: applies pending migrations to the configured database. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const database = await createDatabase(config);
  try {
    const applied = await database.migrate();
    console.log(applied.length ? `Applied to ${database.kind}: ${applied.join(", ")}` : `The ${database.kind} database is up to date.`);
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
