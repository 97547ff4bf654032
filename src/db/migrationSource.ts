import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Knex } from "knex";

/** migrations/ under tsx; dist/migrations, compiled by `npm run build`, in the compiled server. */
const migrationsDir = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "../../migrations/" : "../migrations/", import.meta.url));

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * Loads `migrations/*.ts` with `import()`, so the same files run under tsx,
 * vitest and the knex CLI alike (knex's own loader `require`s them).
 */
export const migrationSource: Knex.MigrationSource<string> = {
  async getMigrations() {
    const files = await fs.readdir(migrationsDir);
    return files.filter((f) => /^\d+_.+\.(ts|js)$/.test(f) && !f.endsWith(".d.ts")).sort();
  },
  getMigrationName(file) {
    return file.replace(/\.(ts|js)$/, "");
  },
  async getMigration(file) {
    return (await import(path.join(migrationsDir, file))) as MigrationModule;
  },
};
