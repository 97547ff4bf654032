import type { NewImage } from "../db/imageQueries.js";
import type { StagingDeps } from "./StagingDeps.js";

/** A new STAGED row, expiring `ttlSeconds` (STAGED_TTL) after `now`. */
export function stagedRow(deps: Pick<StagingDeps, "options">, now: Date, fields: Omit<NewImage, "status" | "expires_at">): NewImage {
  return { ...fields, status: "STAGED", expires_at: new Date(now.getTime() + deps.options.ttlSeconds * 1000) };
}
