import type { Knex } from "knex";

/** What a user holds against their limits. */
export interface Holdings {
  /** Bytes of their staged and committed images; a file several rows share counts once. */
  readonly storedBytes: number;
  /**
   * Bytes their uploads under way have reserved, counted whole from the
   * start: unexpired resumable uploads, and direct uploads not yet staged
   * (one being staged counts as a multipart upload does, as staging inserts its row).
   */
  readonly pendingBytes: number;
  /** Their direct uploads made and neither staged, cancelled nor expired (each holds one of MAX_CONCURRENT_UPLOADS). */
  readonly openDirect: number;
  /** Their staged images that have not expired. */
  readonly staged: number;
}

/** A user's holdings, in one statement (the quota and the staged cap read all three together, once per upload). */
export async function holdingsOf(db: Knex, ownerId: string, now: Date): Promise<Holdings> {
  const { rows } = await db.raw<{
    rows: {
      stored: string | number;
      pending: string | number;
      direct: string | number;
      open_direct: string | number;
      staged: string | number;
    }[];
  }>(
    `SELECT
       (SELECT coalesce(sum(byte_size), 0) FROM (SELECT DISTINCT ON (storage_key) byte_size FROM images
          WHERE owner_id = :owner AND status IN ('STAGED', 'COMMITTED')) AS files) AS stored,
       (SELECT coalesce(sum(byte_length), 0) FROM resumable_uploads WHERE owner_id = :owner AND expires_at > :now) AS pending,
       (SELECT coalesce(sum(byte_length), 0) FROM direct_uploads WHERE owner_id = :owner AND staged_at IS NULL AND expires_at > :now
          AND (staging_until IS NULL OR staging_until <= :now)) AS direct,
       (SELECT count(*) FROM direct_uploads WHERE owner_id = :owner AND staged_at IS NULL AND expires_at > :now) AS open_direct,
       (SELECT count(*) FROM images WHERE owner_id = :owner AND status = 'STAGED' AND expires_at > :now) AS staged`,
    { owner: ownerId, now },
  );
  const row = rows[0]!;
  return {
    storedBytes: Number(row.stored),
    pendingBytes: Number(row.pending) + Number(row.direct),
    openDirect: Number(row.open_direct),
    staged: Number(row.staged),
  };
}
