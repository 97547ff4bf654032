import { findImages } from "../db/imageQueries.js";
import { countPhotos, listPhotos } from "../db/photoQueries.js";
import type { PhotoWithImage } from "../db/rows.js";
import type { Page } from "./Page.js";
import type { StagingDeps } from "./StagingDeps.js";

/** The user's photos in their order, each with its image (counted at most once); any signed-in user may see them (committed images are visible to all: access.ts). */
export async function listPhotosPage(
  deps: Pick<StagingDeps, "knex">,
  userId: string,
  page: { readonly afterPosition: number | undefined; readonly limit: number },
): Promise<Page<PhotoWithImage>> {
  const { knex } = deps;
  const rows = await listPhotos(knex, userId, page);
  const images = new Map((await findImages(knex, rows.map((row) => row.image_id))).map((image) => [image.id, image]));
  // A photo whose image an admin deleted a moment ago is gone from the page, not a null node.
  const items = rows.flatMap((row) => {
    const image = images.get(row.image_id);
    return image && image.status === "COMMITTED" ? [{ ...row, image }] : [];
  });
  // Positions start at 0, so something comes before any `afterPosition` once the list is not empty: one count answers both.
  let counted: Promise<number> | undefined;
  const totalCount = () => (counted ??= countPhotos(knex, userId));
  return { items, hasPreviousPage: page.afterPosition !== undefined && (await totalCount()) > 0, totalCount };
}
