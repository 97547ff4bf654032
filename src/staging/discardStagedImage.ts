import { markDeleted } from "../db/imageQueries.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { findOwnImage } from "./findOwnImage.js";
import { removeImage } from "./removeImage.js";
import type { StagingDeps } from "./StagingDeps.js";

/**
 * Throws a staged image of the viewer's away with its files.
 * @returns true when it was discarded.
 * @throws UpstageError NOT_FOUND, FORBIDDEN, BAD_USER_INPUT (a committed image is not staged).
 */
export async function discardStagedImage(deps: StagingDeps, viewerId: string, id: string): Promise<boolean> {
  const image = await findOwnImage(deps.knex, viewerId, id);
  if (image.status !== "STAGED") {
    throw new UpstageError(ErrorCode.BadUserInput, "Only a staged image can be discarded.");
  }
  // Conditional: a commit that won the race keeps its image.
  if (!(await markDeleted(deps.knex, id, ["STAGED"]))) {
    throw new UpstageError(ErrorCode.BadUserInput, "Only a staged image can be discarded.");
  }
  await removeImage(deps, image);
  return true;
}
