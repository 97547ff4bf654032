import type { UserRow } from "../db/rows.js";
import { findUsers } from "../db/userQueries.js";
import type { StagingDeps } from "./StagingDeps.js";

/**
 * The users `ids` as stored now (names, avatar), in the order asked, undefined
 * where there is none; one query however many. Any signed-in user may read a profile.
 */
export async function findProfiles(deps: Pick<StagingDeps, "knex">, ids: readonly string[]): Promise<(UserRow | undefined)[]> {
  const byId = new Map((await findUsers(deps.knex, ids)).map((user) => [user.id, user]));
  return ids.map((id) => byId.get(id));
}
