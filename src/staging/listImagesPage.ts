import { countImages, hasImagesBefore, type ImageListFilter, type ImageListKey, type ListedImage, listImages } from "../db/imageQueries.js";
import type { Page } from "./Page.js";
import type { StagingDeps } from "./StagingDeps.js";

/** Images that are not deleted, newest first, each with its place in the list; as an admin lists them (access is the caller's: requireAdmin). */
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
