// The read side the resolvers ask: an image a viewer may see, a user's avatar
// and profiles, the lists (staged images, thumbnails stored, a page of
// images or photos). Rows as stored now; nothing here writes.
import {
  countImages,
  findImage,
  findImages,
  hasImagesBefore,
  type ImageListFilter,
  type ImageListKey,
  type ListedImage,
  listImages,
  listStaged,
  listThumbnails,
} from "../db/imageQueries.js";
import { countPhotos, findPhoto, listPhotos } from "../db/photoQueries.js";
import type { ImageRow, PhotoWithImage, ThumbnailRow, UserRow } from "../db/rows.js";
import { findUsers } from "../db/userQueries.js";
import { isOwnedBy, isVisibleTo, type Viewer } from "./access.js";
import type { StagingDeps } from "./StagingDeps.js";

/** A page of a list read forwards: what a connection is made from (graphql/connection.ts). */
export interface Page<T> {
  /** Up to the asked-for number of items after the asked-for place, in the list's order. */
  readonly items: readonly T[];
  /** Whether an item comes before that place (false at the start). */
  readonly hasPreviousPage: boolean;
  /** Every item in the list, counted when asked. */
  readonly totalCount: () => Promise<number>;
}

/** The image `id` if the viewer may see it (access.ts), else undefined: a hidden image and a missing one look the same. */
export async function findVisibleImage(deps: Pick<StagingDeps, "knex">, viewer: Viewer, id: string): Promise<ImageRow | undefined> {
  const image = await findImage(deps.knex, id);
  return image && isVisibleTo(image, viewer) ? image : undefined;
}

/** The user's avatar, or undefined when they have none (or an admin deleted it a moment ago). */
export async function findAvatar(deps: Pick<StagingDeps, "knex">, user: UserRow): Promise<ImageRow | undefined> {
  if (!user.avatar_image_id) return undefined;
  const image = await findImage(deps.knex, user.avatar_image_id);
  return image?.status === "COMMITTED" ? image : undefined;
}

/**
 * The users `ids` as stored now (names, avatar), in the order asked, undefined
 * where there is none; one query however many. Any signed-in user may read a profile.
 */
export async function findProfiles(deps: Pick<StagingDeps, "knex">, ids: readonly string[]): Promise<(UserRow | undefined)[]> {
  const byId = new Map((await findUsers(deps.knex, ids)).map((user) => [user.id, user]));
  return ids.map((id) => byId.get(id));
}

/** The user's staged images that have not expired, newest first. */
export function listStagedImages(deps: Pick<StagingDeps, "knex" | "now">, userId: string): Promise<ImageRow[]> {
  return listStaged(deps.knex, userId, deps.now());
}

/** Every thumbnail stored for the image now (presets and on-demand sizes); renders nothing. */
export function listStoredThumbnails(deps: Pick<StagingDeps, "knex">, image: ImageRow): Promise<ThumbnailRow[]> {
  return listThumbnails(deps.knex, image.id);
}

/**
 * Images that are not deleted, newest first, each with its place in the list; as an admin lists them (access is
 * the caller's: requireAdmin).
 */
export async function listImagesPage(
  deps: Pick<StagingDeps, "knex">,
  filter: ImageListFilter,
  page: { readonly after: ImageListKey | undefined; readonly limit: number },
): Promise<Page<ListedImage>> {
  const { knex } = deps;
  const [items, hasPreviousPage] = await Promise.all([
    listImages(knex, filter, page),
    page.after === undefined ? false : hasImagesBefore(knex, filter, page.after),
  ]);
  return { items, hasPreviousPage, totalCount: () => countImages(knex, filter) };
}

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

/**
 * The user's photos in their order, each with its image (counted at most once); any signed-in user may see them
 * (committed images are visible to all: access.ts).
 */
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
