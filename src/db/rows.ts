/** Row shapes of the tables made in `migrations/`. */

export interface UserRow {
  id: string;
  username: string;
  first_name: string | null;
  last_name: string | null;
  avatar_image_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/** An image's lifecycle; every switch over it is exhaustive. */
export type ImageStatus = "STAGED" | "COMMITTED" | "DELETED";

/** The statuses of an image that is still offered (not on its way out). */
export const LIVE_STATUSES: readonly ImageStatus[] = ["STAGED", "COMMITTED"];

export interface ImageRow {
  id: string;
  owner_id: string;
  status: ImageStatus;
  storage_key: string;
  original_filename: string | null;
  content_type: string;
  byte_size: number;
  width: number;
  height: number;
  sha256: string;
  /** A data: URL of a tiny blurred WebP; null only for images staged before it was computed. */
  placeholder: string | null;
  /** `#rrggbb`; null only for images staged before it was computed. */
  dominant_color: string | null;
  /** The avatar crop chosen at commit, in the original's pixels: all four set, or all null. */
  crop_x: number | null;
  crop_y: number | null;
  crop_width: number | null;
  crop_height: number | null;
  /**
   * The point COVER renditions centre on, 0..1 of the width and height (of the
   * crop when there is one); null only for images staged before it existed.
   */
  focal_x: number | null;
  focal_y: number | null;
  /** True when attention chose the point, false when the owner did. */
  focal_auto: boolean;
  /** Base64 ThumbHash; null only for images staged before it was computed. */
  thumbhash: string | null;
  expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface ThumbnailRow {
  image_id: string;
  variant: string;
  width: number;
  height: number;
  fit: string;
  format: string;
  storage_key: string;
  content_type: string;
  byte_size: number;
  created_at: Date;
  /** When it was last asked for (at most an hour stale): the per-image cap evicts the least recent. */
  used_at: Date;
}

/** A thumbnail as made, before the database stamps its times. */
export type NewThumbnailRow = Omit<ThumbnailRow, "created_at" | "used_at">;

export interface PhotoRow {
  id: string;
  owner_id: string;
  image_id: string;
  caption: string | null;
  /** 0-based, contiguous per owner. */
  position: number;
  created_at: Date;
}

/** A photo with its image, as the photo operations return it. */
export type PhotoWithImage = PhotoRow & { readonly image: ImageRow };
