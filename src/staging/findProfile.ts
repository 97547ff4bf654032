import type { UserRow } from "../db/rows.js";
import { findUser } from "../db/userQueries.js";
import type { StagingDeps } from "./StagingDeps.js";

/** The user `id` as stored now (names, avatar), or undefined when there is none. Any signed-in user may read a profile. */
export function findProfile(deps: Pick<StagingDeps, "knex">, id: string): Promise<UserRow | undefined> {
  return findUser(deps.knex, id);
}
