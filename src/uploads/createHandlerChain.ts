import type { Knex } from "knex";
import type { Scratch } from "../storage/createScratch.js";
import { createHashHandler } from "./handlers/createHashHandler.js";
import { createLimitHandler } from "./handlers/createLimitHandler.js";
import { createQuotaHandler } from "./handlers/createQuotaHandler.js";
import { createSniffHandler } from "./handlers/createSniffHandler.js";
import { createStoreHandler } from "./handlers/createStoreHandler.js";
import type { UploadHandler } from "./UploadHandler.js";

export interface UploadHandlerDeps {
  readonly knex: Knex;
  readonly scratch: Scratch;
  /** Bytes per file. */
  readonly maxFileSize: number;
  /** Bytes of staged plus committed images per user. */
  readonly quotaBytes: number;
  /** Staged images per user not yet committed. */
  readonly maxStagedPerUser: number;
}

/** Makes a fresh handler for one upload. */
export type UploadHandlerFactory = (deps: UploadHandlerDeps) => UploadHandler;

const builtInUploadHandlers: Readonly<Record<string, UploadHandlerFactory>> = {
  limit: (deps) => createLimitHandler(deps),
  sniff: () => createSniffHandler(),
  quota: (deps) => createQuotaHandler(deps),
  hash: () => createHashHandler(),
  store: (deps) => createStoreHandler(deps),
};

/** Staging needs the file on disk and its hash. */
const REQUIRED = ["hash", "store"];

/** Thrown at start for an UPLOAD_HANDLERS list that cannot work. */
export class UploadHandlersError extends Error {
  override readonly name = "UploadHandlersError";
}

/** What a door puts in place of a built-in step: the tus door's `store` is its data store. */
export type DoorSteps = Readonly<Partial<Record<"store", () => UploadHandler>>>;

/**
 * Checks the configured handler names once, at start (before anything is
 * opened), and returns a function that makes a fresh chain (new handler
 * instances) for each upload, with a door's own steps where it has them.
 * @param custom handlers an application adds, by name, next to the built-in ones.
 * @throws UploadHandlersError for an unknown or repeated name, or a missing hash or store.
 */
export function createHandlerChain(
  names: readonly string[],
  custom: Readonly<Record<string, UploadHandlerFactory>> = {},
): (deps: UploadHandlerDeps, door?: DoorSteps) => UploadHandler[] {
  const factories = { ...builtInUploadHandlers, ...custom };
  // `progress` was a handler once; progress is now reported around the chain, so the name is accepted and skipped.
  const listed = names.filter((name) => !(name === "progress" && !("progress" in custom)));
  const unknown = listed.filter((name) => !(name in factories));
  if (unknown.length > 0) {
    throw new UploadHandlersError(
      `UPLOAD_HANDLERS names unknown handlers: ${unknown.join(", ")}. Known: ${Object.keys(factories).join(", ")}.`,
    );
  }
  const repeated = listed.filter((name, i) => listed.indexOf(name) !== i);
  if (repeated.length > 0) throw new UploadHandlersError(`UPLOAD_HANDLERS repeats: ${repeated.join(", ")}.`);
  const missing = REQUIRED.filter((name) => !listed.includes(name));
  if (missing.length > 0) throw new UploadHandlersError(`UPLOAD_HANDLERS must include: ${missing.join(", ")}.`);
  return (deps, door = {}) => listed.map((name) => door[name as keyof DoorSteps]?.() ?? factories[name]!(deps));
}
