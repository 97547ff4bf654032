import type { Database } from "./createDatabase.js";

/** PostgreSQL advisory lock keys: one per job that runs on one instance at a time. */
export const SingleRunnerJob = {
  /** The sweeper's pass: expired staged images, unfinished deletions. */
  Sweep: 0x7570_0001,
  /** Reconciliation of rows and stored files (at start, and `upstage reconcile`). */
  Reconcile: 0x7570_0002,
} as const;

export type SingleRunnerJob = (typeof SingleRunnerJob)[keyof typeof SingleRunnerJob];

export type SingleRunnerResult<T> = { readonly ran: true; readonly result: T } | { readonly ran: false };

/**
 * Runs `job` unless another instance is running the same job; then it is
 * skipped, not queued. On PostgreSQL the guard is a transaction-scoped advisory
 * lock held on its own connection while the job runs on others, so it is let
 * go at the end, or when the instance dies with its connection. PGlite lives in
 * one process: there is no other instance to keep out.
 */
export async function withSingleRunner<T>(database: Database, job: SingleRunnerJob, run: () => Promise<T>): Promise<SingleRunnerResult<T>> {
  if (database.kind === "pglite") return { ran: true, result: await run() };
  return database.knex.transaction(async (trx) => {
    const { rows } = await trx.raw<{ rows: { locked: boolean }[] }>("select pg_try_advisory_xact_lock(?) as locked", [job]);
    if (!rows[0]?.locked) return { ran: false } as const;
    return { ran: true, result: await run() } as const;
  });
}
