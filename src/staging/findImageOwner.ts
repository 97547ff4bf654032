import type { ImageRow, UserRow } from "../db/rows.js";
import { findUser } from "../db/userQueries.js";
import { checkMayInspect, type Viewer } from "./access.js";
import type { StagingDeps } from "./StagingDeps.js";

/**
 * Who uploaded the image.
 * @throws UpstageError FORBIDDEN for anyone but its owner and the admins (access.ts).
 */
export async function findImageOwner(deps: Pick<StagingDeps, "knex">, image: ImageRow, viewer: Viewer): Promise<UserRow | undefined> {
  checkMayInspect(image, viewer);
  return findUser(deps.knex, image.owner_id);
}
