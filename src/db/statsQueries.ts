import type { Knex } from "knex";

export interface Stats {
  readonly users: number;
  /** Images and their bytes (originals), by status. */
  readonly images: Record<"STAGED" | "COMMITTED" | "DELETED", { readonly count: number; readonly bytes: number }>;
  readonly thumbnails: { readonly count: number; readonly bytes: number };
  /** When the oldest staged image expires; null with none staged. */
  readonly nextExpiry: Date | null;
}

/** What the database holds, in totals. */
export async function readStats(db: Knex): Promise<Stats> {
  const [users] = await db("users").count<{ count: string | number }[]>({ count: "*" });
  const byStatus = await db("images").select("status").count({ count: "*" }).sum({ bytes: "byte_size" }).groupBy("status");
  const [thumbnails] = await db("thumbnails").count({ count: "*" }).sum({ bytes: "byte_size" });
  const [expiry] = await db("images").where({ status: "STAGED" }).min<{ next: Date | string | null }[]>({ next: "expires_at" });
  const images = { STAGED: { count: 0, bytes: 0 }, COMMITTED: { count: 0, bytes: 0 }, DELETED: { count: 0, bytes: 0 } };
  for (const row of byStatus as { status: keyof typeof images; count: string | number; bytes: string | number | null }[]) {
    images[row.status] = { count: Number(row.count), bytes: Number(row.bytes ?? 0) };
  }
  const thumbs = thumbnails as { count: string | number; bytes: string | number | null } | undefined;
  return {
    users: Number(users?.count ?? 0),
    images,
    thumbnails: { count: Number(thumbs?.count ?? 0), bytes: Number(thumbs?.bytes ?? 0) },
    nextExpiry: expiry?.next ? new Date(expiry.next) : null,
  };
}
