import DataLoader from "dataloader";
import type { UserRow } from "../db/rows.js";
import { findProfiles } from "../staging/reads.js";
import type { StagingDeps } from "../staging/StagingDeps.js";

/** Profiles by user id, for one operation's resolvers. */
export type ProfileLoader = DataLoader<string, UserRow | undefined>;

/**
 * Reads the profiles that one tick of resolvers asks for in one query (a
 * page of photos and their owners: two queries, not twenty-one). Nothing is
 * cached past the batch, so a profile read after a mutation is current, and
 * a subscription's long-lived context holds no stale row.
 */
export function createProfileLoader(staging: Pick<StagingDeps, "knex">): ProfileLoader {
  return new DataLoader((ids: readonly string[]) => findProfiles(staging, ids), { cache: false });
}
