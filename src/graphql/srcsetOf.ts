import type { ThumbnailRow } from "../db/rows.js";
import type { GraphQLContext } from "./context.js";

/** Thumbnails as an HTML srcset: `url 125w, url 200w`, in the order given. */
export async function srcsetOf(
  thumbnails: readonly Pick<ThumbnailRow, "storage_key" | "width">[],
  context: GraphQLContext,
): Promise<string> {
  const urls = await Promise.all(thumbnails.map((t) => context.mediaUrl(t.storage_key)));
  return thumbnails.map((t, i) => `${urls[i]} ${t.width}w`).join(", ");
}
