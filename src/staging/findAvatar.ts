import { findImage } from "../db/imageQueries.js";
import type { ImageRow, UserRow } from "../db/rows.js";
import type { StagingDeps } from "./StagingDeps.js";

/** The user's avatar, or undefined when they have none (or an admin deleted it a moment ago). */
export async function findAvatar(deps: Pick<StagingDeps, "knex">, user: UserRow): Promise<ImageRow | undefined> {
  if (!user.avatar_image_id) return undefined;
  const image = await findImage(deps.knex, user.avatar_image_id);
  return image?.status === "COMMITTED" ? image : undefined;
}
