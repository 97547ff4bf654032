import { findImages } from "../db/imageQueries.js";
import { countPhotos, findPhoto, listPhotos } from "../db/photoQueries.js";
import type { PhotoWithImage } from "../db/rows.js";
import { isOwnedBy } from "./access.js";
import type { Page } from "./Page.js";
import type { StagingDeps } from "./StagingDeps.js";

/**
 * Where a page starts: after this photo, wherever it is now, so that photos
 * added, moved or deleted before it do not shift the page. When the photo is
 * gone, at the `position` it had (those after it moved up into it); with no
 * photo named (a cursor from before ids), after `position`.
 */
export interface PhotoPlace {
  readonly photoId?: string | undefined;
  readonly position: number;
}

/** The user's photos in their order, each with its image (counted at most once); any signed-in user may see them (committed images are visible to all: access.ts). */
export async function listPhotosPage(
  deps: Pick<StagingDeps, "knex">,
  userId: string,
  page: { readonly after: PhotoPlace | undefined; readonly limit: number },
): Promise<Page<PhotoWithImage>> {
  const { knex } = deps;
  const afterPosition = page.after && (await positionAfter(deps, userId, page.after));
  const rows = await listPhotos(knex, userId, { afterPosition, limit: page.limit });
  const images = new Map(
    (
      await findImages(
        knex,
        rows.map((row) => row.image_id),
      )
    ).map((image) => [image.id, image]),
  );
  // A photo whose image an admin deleted a moment ago is gone from the page, not a null node.
  const items = rows.flatMap((row) => {
    const image = images.get(row.image_id);
    return image && image.status === "COMMITTED" ? [{ ...row, image }] : [];
  });
  // Positions start at 0, so something comes before any place once the list is not empty: one count answers both.
  let counted: Promise<number> | undefined;
  const totalCount = () => (counted ??= countPhotos(knex, userId));
  return { items, hasPreviousPage: afterPosition !== undefined && (await totalCount()) > 0, totalCount };
}

/** The position to list after; undefined for the start of the list. */
async function positionAfter(deps: Pick<StagingDeps, "knex">, userId: string, place: PhotoPlace): Promise<number | undefined> {
  if (place.photoId === undefined) return place.position;
  const photo = await findPhoto(deps.knex, place.photoId);
  if (photo && isOwnedBy(photo, userId)) return photo.position;
  return place.position > 0 ? place.position - 1 : undefined;
}
