import type { Knex } from "knex";
import { countStaged } from "../db/imageQueries.js";
import { lockUser } from "../db/userQueries.js";
import { tooManyStaged } from "../errors/tooManyStaged.js";

/**
 * That the owner may stage one more image: fewer than `max` staged images of
 * theirs are live. Takes the owner's row lock for the rest of the
 * transaction, so uploads finishing together cannot pass the cap between them.
 * @throws UpstageError QUOTA_EXCEEDED.
 */
export async function checkStagedRoom(trx: Knex.Transaction, ownerId: string, now: Date, max: number): Promise<void> {
  await lockUser(trx, ownerId);
  if ((await countStaged(trx, ownerId, now)) >= max) throw tooManyStaged(max);
}
