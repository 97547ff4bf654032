import type { Knex } from "knex";
import { holdingsOf } from "../db/holdingsQueries.js";
import { lockUser } from "../db/userQueries.js";
import { refusals } from "../errors/refusals.js";

/** What one more staged image may add to its owner's. */
export interface StagedRoom {
  /** Staged images an owner may hold (MAX_STAGED_PER_USER). */
  readonly maxStaged: number;
  /** Bytes of staged and committed images an owner may hold (QUOTA_BYTES). */
  readonly quotaBytes: number;
  /** The bytes the new image adds: its stored original's size, or 0 when it shares stored bytes. */
  readonly newBytes: number;
}

/**
 * That the owner may stage one more image: fewer than `maxStaged` staged
 * images of theirs are live, and their images' bytes, with what their tus
 * uploads under way have reserved and `newBytes`, stay within `quotaBytes`. Takes the owner's row lock for the rest of the
 * transaction, so uploads finishing together cannot pass either limit between
 * them: the quota handler refuses early, one upload at a time; this is what
 * holds under a burst, on every instance.
 * @throws UpstageError QUOTA_EXCEEDED.
 */
export async function checkStagedRoom(trx: Knex.Transaction, ownerId: string, now: Date, room: StagedRoom): Promise<void> {
  await lockUser(trx, ownerId);
  // A statement of its own, after the lock: on PostgreSQL a statement's snapshot is taken when it starts,
  // so sums read in the locking statement would miss what the lock's last holder just committed.
  const held = await holdingsOf(trx, ownerId, now);
  if (held.staged >= room.maxStaged) throw refusals.tooManyStaged(room.maxStaged);
  if (room.newBytes > 0 && held.storedBytes + held.pendingBytes + room.newBytes > room.quotaBytes)
    throw refusals.quotaExceeded(room.quotaBytes);
}
