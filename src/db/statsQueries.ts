import type { Knex } from "knex";

export interface Stats {
  readonly users: number;
  /** Images and their bytes (originals), by status. */
  readonly images: Record<"STAGED" | "COMMITTED" | "DELETED", { readonly count: number; readonly bytes: number }>;
  readonly thumbnails: { readonly count: number; readonly bytes: number };
  /** Photos on profiles (each is a COMMITTED image, counted above too). */
  readonly photos: number;
  /** Resumable uploads not yet finished, and the bytes they declared (Upload-Length). */
  readonly resumableUploads: { readonly count: number; readonly bytes: number };
  /** When the oldest staged image expires; null with none staged. */
  readonly nextExpiry: Date | null;
}

/** What the database holds, in totals. */
export async function readStats(db: Knex): Promise<Stats> {
  const [users] = await db("users").count<{ count: string | number }[]>({ count: "*" });
  const byStatus = await db("images").select("status").count({ count: "*" }).sum({ bytes: "byte_size" }).groupBy("status");
  const [thumbnails] = await db("thumbnails").count({ count: "*" }).sum({ bytes: "byte_size" });
  const [photos] = await db("photos").count<{ count: string | number }[]>({ count: "*" });
  const [resumable] = await db("resumable_uploads").count({ count: "*" }).sum({ bytes: "byte_length" });
  const [expiry] = await db("images").where({ status: "STAGED" }).min<{ next: Date | string | null }[]>({ next: "expires_at" });
  const images = { STAGED: { count: 0, bytes: 0 }, COMMITTED: { count: 0, bytes: 0 }, DELETED: { count: 0, bytes: 0 } };
  for (const row of byStatus as { status: keyof typeof images; count: string | number; bytes: string | number | null }[]) {
    images[row.status] = { count: Number(row.count), bytes: Number(row.bytes ?? 0) };
  }
  type Totals = { count: string | number; bytes: string | number | null } | undefined;
  const totals = (row: unknown) => ({ count: Number((row as Totals)?.count ?? 0), bytes: Number((row as Totals)?.bytes ?? 0) });
  return {
    users: Number(users?.count ?? 0),
    images,
    thumbnails: totals(thumbnails),
    photos: Number(photos?.count ?? 0),
    resumableUploads: totals(resumable),
    nextExpiry: expiry?.next ? new Date(expiry.next) : null,
  };
}
