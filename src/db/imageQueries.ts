import type { Knex } from "knex";
import { rememberExpired } from "./expiredImageQueries.js";
import { type ImageRow, LIVE_STATUSES, type NewThumbnailRow, type ThumbnailRow } from "./rows.js";

type CropColumns = "crop_x" | "crop_y" | "crop_width" | "crop_height";

/** A new image row; the crop is set only at commit. */
export type NewImage = Omit<ImageRow, "created_at" | "updated_at" | CropColumns>;

export async function insertImage(db: Knex, image: NewImage): Promise<ImageRow> {
  const [row] = await db<ImageRow>("images").insert(image).returning("*");
  return row as ImageRow;
}

/**
 * A new image with its thumbnails, and its files' intents cleared (they are
 * named by rows now: migrations/…_claims_intents_tombstones.ts), in one
 * statement of three data-modifying parts.
 */
export async function insertImageWithFiles(
  trx: Knex.Transaction,
  image: NewImage,
  files: { readonly thumbnails: readonly NewThumbnailRow[]; readonly settledKeys: readonly string[] },
): Promise<ImageRow> {
  const query = trx.with("image", trx("images").insert(image).returning("*"));
  if (files.thumbnails.length > 0)
    query.with(
      "thumbnail",
      trx("thumbnails")
        .insert(files.thumbnails as ThumbnailRow[])
        .onConflict(["image_id", "variant"])
        .ignore(),
    );
  if (files.settledKeys.length > 0) query.with("settled", trx("pending_files").whereIn("storage_key", files.settledKeys).delete());
  const [row] = await query.select("*").from("image");
  return row as ImageRow;
}

export function findImage(db: Knex, id: string): Promise<ImageRow | undefined> {
  return db<ImageRow>("images").where({ id }).first();
}

/** The image, share-locked in `trx` while it is live; undefined once it is DELETED. */
export function lockLiveImage(trx: Knex.Transaction, id: string): Promise<ImageRow | undefined> {
  return trx<ImageRow>("images").where({ id }).whereIn("status", LIVE_STATUSES).forShare().first();
}

/** Staged and committed images after `after` by id, `limit` of them, for a pass over every one in batches. */
export function liveImagesAfter(db: Knex, after: string | undefined, limit: number): Promise<ImageRow[]> {
  return db<ImageRow>("images")
    .whereIn("status", LIVE_STATUSES)
    .modify((query) => void (after && query.andWhere("id", ">", after)))
    .orderBy("id")
    .limit(limit);
}

/** Every staged image's id and original's key. */
export function stagedImageKeys(db: Knex): Promise<Pick<ImageRow, "id" | "storage_key">[]> {
  return db<ImageRow>("images").select("id", "storage_key").where({ status: "STAGED" });
}

/** Thumbnail rows whose key sorts after `afterKey`, `limit` of them, in key order. */
export function thumbnailsAfterKey(
  db: Knex,
  afterKey: string,
  limit: number,
): Promise<Pick<ThumbnailRow, "image_id" | "variant" | "storage_key">[]> {
  return db<ThumbnailRow>("thumbnails")
    .select("image_id", "variant", "storage_key")
    .where("storage_key", ">", afterKey)
    .orderBy("storage_key")
    .limit(limit);
}

/** Of `keys`, those an image or thumbnail row names, whatever its status. */
export async function keysWithRows(db: Knex, keys: readonly string[]): Promise<Set<string>> {
  return new Set<string>([
    ...(await db<ImageRow>("images").whereIn("storage_key", keys).pluck("storage_key")),
    ...(await db<ThumbnailRow>("thumbnails").whereIn("storage_key", keys).pluck("storage_key")),
  ]);
}

export function lockImage(trx: Knex.Transaction, id: string): Promise<ImageRow | undefined> {
  return trx<ImageRow>("images").where({ id }).forUpdate().first();
}

export async function markCommitted(trx: Knex, id: string): Promise<void> {
  await trx<ImageRow>("images")
    .where({ id })
    .update({ status: "COMMITTED", expires_at: null, updated_at: trx.fn.now() as unknown as Date });
}

/** Marks an image DELETED; returns false when it was not in one of `from`. */
export async function markDeleted(db: Knex, id: string, from: readonly ImageRow["status"][] = LIVE_STATUSES): Promise<boolean> {
  const count = await db<ImageRow>("images")
    .where({ id })
    .whereIn("status", from)
    .update({ status: "DELETED", updated_at: db.fn.now() as unknown as Date });
  return count > 0;
}

/**
 * Claims staged images whose time ran out: marks them DELETED in one statement,
 * so a concurrent commit (which locks the row) either wins or sees them gone.
 */
export async function claimExpired(db: Knex, now: Date, limit: number): Promise<string[]> {
  return db.transaction(async (trx) => {
    const ids = trx<ImageRow>("images").select("id").where({ status: "STAGED" }).andWhere("expires_at", "<", now).limit(limit);
    const rows = await trx<ImageRow>("images")
      .whereIn("id", ids)
      .andWhere({ status: "STAGED" })
      .andWhere("expires_at", "<", now)
      .update({ status: "DELETED", updated_at: trx.fn.now() as unknown as Date })
      .returning(["id", "owner_id"]);
    // Remembered in the same transaction, so a late commit hears why its image is gone.
    await rememberExpired(trx, rows);
    return rows.map((r) => r.id);
  });
}

/** Images already marked DELETED whose files are still to be removed. */
export async function findDeleted(db: Knex, limit: number): Promise<ImageRow[]> {
  return db<ImageRow>("images").where({ status: "DELETED" }).orderBy("updated_at").limit(limit);
}

export async function removeImageRow(db: Knex, id: string): Promise<void> {
  await db<ImageRow>("images").where({ id }).delete();
}

export function listThumbnails(db: Knex, imageId: string): Promise<ThumbnailRow[]> {
  return db<ThumbnailRow>("thumbnails").where({ image_id: imageId }).orderBy(["width", "height", "variant"]);
}

/** The image's thumbnails of these variants, those that exist. */
export function findThumbnails(db: Knex, imageId: string, variants: readonly string[]): Promise<ThumbnailRow[]> {
  return db<ThumbnailRow>("thumbnails").where({ image_id: imageId }).whereIn("variant", variants);
}

/** Marks the variants as asked for now, when they were last marked before `staleBefore` (one write an hour, not one per read). */
export async function touchThumbnails(db: Knex, imageId: string, variants: readonly string[], now: Date, staleBefore: Date): Promise<void> {
  if (variants.length === 0) return;
  await db("thumbnails")
    .where({ image_id: imageId })
    .whereIn("variant", variants)
    .where("used_at", "<", staleBefore)
    .update({ used_at: now });
}

/** The image's thumbnails other than `keep`, least recently asked for first. */
export function listEvictableThumbnails(
  db: Knex,
  imageId: string,
  keep: readonly string[],
): Promise<Pick<ThumbnailRow, "variant" | "storage_key">[]> {
  return db<ThumbnailRow>("thumbnails")
    .select("variant", "storage_key")
    .where({ image_id: imageId })
    .whereNotIn("variant", keep)
    .orderBy([
      { column: "used_at", order: "asc" },
      { column: "variant", order: "asc" },
    ]);
}

export async function deleteThumbnails(db: Knex, imageId: string, variants: readonly string[]): Promise<void> {
  if (variants.length === 0) return;
  await db("thumbnails").where({ image_id: imageId }).whereIn("variant", variants).delete();
}

/** Inserts thumbnails; a variant that another request stored first is kept as it is. */
export async function insertThumbnails(db: Knex, rows: readonly NewThumbnailRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db<ThumbnailRow>("thumbnails")
    .insert(rows as ThumbnailRow[])
    .onConflict(["image_id", "variant"])
    .ignore();
}

/**
 * The content type of a stored object that may be served (an original or a
 * thumbnail of a staged or committed image), or undefined.
 */
export async function findServableContentType(db: Knex, key: string): Promise<string | undefined> {
  // One round trip: the key is an original's or a thumbnail's.
  const originals = db<ImageRow>("images").select("content_type").where({ storage_key: key }).whereNot({ status: "DELETED" });
  const thumbnails = db("thumbnails")
    .join("images", "images.id", "thumbnails.image_id")
    .select("thumbnails.content_type")
    .where("thumbnails.storage_key", key)
    .whereNot("images.status", "DELETED");
  const [row] = await originals.unionAll(thumbnails, true).limit(1);
  return row?.content_type;
}

/** The live images whose original's key is `<stem>.<ext>`: one, or several sharing its file. */
export function findLiveImagesByKeyStem(db: Knex, stem: string): Promise<ImageRow[]> {
  // Keys are [a-z0-9/.-] only (isStorageKey), so the stem holds no LIKE wildcard.
  return db<ImageRow>("images").where("storage_key", "like", `${stem}.%`).whereIn("status", LIVE_STATUSES).limit(10);
}

/** A staged or committed image of `ownerId` with these bytes (content-hash dedupe), or undefined. */
export function findImageWithHash(db: Knex, ownerId: string, sha256: string): Promise<ImageRow | undefined> {
  return db<ImageRow>("images").where({ owner_id: ownerId, sha256 }).whereIn("status", LIVE_STATUSES).orderBy("created_at", "desc").first();
}

/**
 * Of `keys`, those still named by a row (other than `exceptImageId`'s) that is
 * not DELETED (an original or a thumbnail shared through dedupe): their files stay.
 */
export async function keysNamedByOthers(db: Knex, keys: readonly string[], exceptImageId?: string): Promise<Set<string>> {
  const originals = await db<ImageRow>("images")
    .whereIn("storage_key", keys)
    .modify((query) => void (exceptImageId && query.whereNot({ id: exceptImageId })))
    .whereNot({ status: "DELETED" })
    .pluck("storage_key");
  const thumbnails = await db("thumbnails")
    .join("images", "images.id", "thumbnails.image_id")
    .whereIn("thumbnails.storage_key", keys)
    .modify((query) => void (exceptImageId && query.whereNot("thumbnails.image_id", exceptImageId)))
    .whereNot("images.status", "DELETED")
    .pluck("thumbnails.storage_key");
  return new Set<string>([...originals, ...thumbnails]);
}

/** The viewer's staged images that have not expired, newest first. */
export function listStaged(db: Knex, ownerId: string, now: Date): Promise<ImageRow[]> {
  return db<ImageRow>("images")
    .where({ owner_id: ownerId, status: "STAGED" })
    .andWhere("expires_at", ">", now)
    .orderBy([
      { column: "created_at", order: "desc" },
      { column: "id", order: "desc" },
    ]);
}

/** What the admin list is filtered by; every field is optional. */
export interface ImageListFilter {
  readonly status?: "STAGED" | "COMMITTED" | undefined;
  readonly ownerId?: string | undefined;
  readonly createdAfter?: Date | undefined;
  readonly createdBefore?: Date | undefined;
}

/**
 * A place in the newest-first list: the image at it and everything newer
 * come before. `createdAt` is the column to the microsecond (a Date would
 * round it to milliseconds and lose rows made in the same one).
 */
export interface ImageListKey {
  readonly createdAt: string;
  readonly id: string;
}

/** An image as listed, with its place in the list. */
export type ListedImage = ImageRow & { readonly list_key: ImageListKey };

function filtered(db: Knex, filter: ImageListFilter): Knex.QueryBuilder<ImageRow> {
  return db<ImageRow>("images").modify((query) => {
    if (filter.status) query.where({ status: filter.status });
    else query.whereIn("status", LIVE_STATUSES);
    if (filter.ownerId !== undefined) query.where({ owner_id: filter.ownerId });
    if (filter.createdAfter) query.where("created_at", ">=", filter.createdAfter);
    if (filter.createdBefore) query.where("created_at", "<", filter.createdBefore);
  });
}

/** Images (never DELETED ones) newest first, after `after`, `limit` of them. */
export async function listImages(
  db: Knex,
  filter: ImageListFilter,
  page: { after: ImageListKey | undefined; limit: number },
): Promise<ListedImage[]> {
  const rows: (ImageRow & { cursor_at: string })[] = await filtered(db, filter)
    .select("*", db.raw(`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at`))
    .modify((query) => {
      const after = page.after;
      if (after)
        query.where((q) =>
          q
            .where("created_at", "<", after.createdAt)
            .orWhere((same) => same.where("created_at", after.createdAt).andWhere("id", "<", after.id)),
        );
    })
    .orderBy([
      { column: "created_at", order: "desc" },
      { column: "id", order: "desc" },
    ])
    .limit(page.limit);
  return rows.map(({ cursor_at, ...image }) => ({ ...image, list_key: { createdAt: cursor_at, id: image.id } }));
}

/** Whether an image the filter matches comes before `key` (newer, or as new with a greater id). */
export async function hasImagesBefore(db: Knex, filter: ImageListFilter, key: ImageListKey): Promise<boolean> {
  const row = await filtered(db, filter)
    .where((q) =>
      q.where("created_at", ">", key.createdAt).orWhere((same) => same.where("created_at", key.createdAt).andWhere("id", ">=", key.id)),
    )
    .first("id");
  return row !== undefined;
}

export async function countImages(db: Knex, filter: ImageListFilter): Promise<number> {
  const row = await filtered(db, filter).count<{ count: string | number }>({ count: "*" }).first();
  return Number(row?.count ?? 0);
}

/** The images with these ids, those that exist, in no order. */
export function findImages(db: Knex, ids: readonly string[]): Promise<ImageRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db<ImageRow>("images").whereIn("id", ids);
}

/** What sampling an image's pixels yields, as columns (sampleImage.ts). */
export type SampleColumns = Pick<ImageRow, "placeholder" | "dominant_color" | "thumbhash">;
/** How an image's renditions are cut: its crop and its focal point. */
export type FramingColumns = Pick<ImageRow, "crop_x" | "crop_y" | "crop_width" | "crop_height" | "focal_x" | "focal_y" | "focal_auto">;

/** Fills in what was sampled, on every row that shares the file (the same pixels). */
export async function updateSample(db: Knex, storageKey: string, sample: SampleColumns): Promise<void> {
  await db<ImageRow>("images").where({ storage_key: storageKey }).update(sample);
}

export async function updateFraming(db: Knex, id: string, framing: Partial<FramingColumns>): Promise<void> {
  await db<ImageRow>("images").where({ id }).update(framing);
}

/**
 * Removes the image's thumbnails (only those of `fit`, when given).
 * @returns the rows removed.
 */
export async function takeThumbnails(trx: Knex.Transaction, imageId: string, fit?: string): Promise<ThumbnailRow[]> {
  return trx<ThumbnailRow>("thumbnails")
    .where({ image_id: imageId })
    .modify((query) => void (fit && query.andWhere({ fit })))
    .delete()
    .returning("*");
}
