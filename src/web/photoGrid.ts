// The Photos section's grid of saved photos, in their order: each a <picture>
// from `sources`, `srcset` and `placeholder`; moved by dragging (or by its
// arrow buttons) with updatePhoto, and deleted with deletePhoto.
import type { PhotoFieldsFragment, PhotosQuery, UpdatePhotoMutationVariables } from "../client/generated/operations.js";
import { graphqlRequest } from "../client/graphqlRequest.js";
import { DELETE_PHOTO, PHOTOS, UPDATE_PHOTO } from "../client/operations.js";
import { make, say } from "./dom.js";
import { describeError } from "./errorMessages.js";
import type { Session } from "./session.js";
import { thumbhashBackground } from "./thumbhashBackground.js";

export interface PhotoGridElements {
  readonly grid: HTMLElement;
  readonly count: HTMLElement;
  readonly more: HTMLButtonElement;
  readonly status: HTMLElement;
}

const PAGE_SIZE = 100;
/** The tile's width in CSS pixels: the browser picks from the srcsets for it. */
const TILE_SIZES = "(max-width: 30rem) 45vw, 160px";

export function createPhotoGrid(elements: PhotoGridElements, options: { readonly session: () => Session | undefined }) {
  let endCursor: string | null = null;
  let total = 0;
  let dragged: string | undefined;

  async function request<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    const session = options.session();
    if (!session) throw new Error("Signed out.");
    return graphqlRequest<T, Record<string, unknown>>(query, variables, { endpoint: session.endpoint, token: session.token });
  }

  function tile(photo: PhotoFieldsFragment): HTMLLIElement {
    const item = make("li", "photo");
    item.dataset["id"] = photo.id;
    item.dataset["position"] = String(photo.position);
    item.draggable = true;

    const picture = make("picture");
    for (const source of photo.image.sources) {
      const element = make("source");
      element.type = source.type;
      element.srcset = source.srcset;
      element.sizes = TILE_SIZES;
      picture.append(element);
    }
    const img = make("img");
    img.src = photo.image.thumbnail.url;
    img.srcset = photo.image.srcset ? `${photo.image.srcset}, ${photo.image.thumbnail.url} 320w` : "";
    img.sizes = TILE_SIZES;
    img.width = 160;
    img.height = 160;
    img.loading = "lazy";
    img.alt = photo.caption ?? `Photo ${photo.position + 1}`;
    // The ThumbHash paints at once, over the dominant colour.
    img.style.background = thumbhashBackground(photo.image);
    picture.append(img);

    const caption = make("span", "caption", photo.caption ?? "");
    const earlier = button("◀", `Move photo ${photo.position + 1} earlier`, () => move(photo.id, photo.position - 1));
    earlier.disabled = photo.position === 0;
    const later = button("▶", `Move photo ${photo.position + 1} later`, () => move(photo.id, photo.position + 1));
    later.disabled = photo.position === total - 1;
    const remove = button("Delete", `Delete photo ${photo.position + 1}`, () => deletePhoto(photo.id));
    remove.classList.add("delete");
    const actions = make("div", "actions");
    actions.append(earlier, later, remove);
    item.append(picture, caption, actions);

    item.addEventListener("dragstart", (event) => {
      dragged = photo.id;
      event.dataTransfer?.setData("text/plain", photo.id);
      item.classList.add("dragging");
    });
    item.addEventListener("dragend", () => item.classList.remove("dragging"));
    item.addEventListener("dragover", (event) => {
      if (dragged && dragged !== photo.id) event.preventDefault();
    });
    item.addEventListener("drop", (event) => {
      event.preventDefault();
      const id = dragged;
      dragged = undefined;
      if (id && id !== photo.id) void move(id, photo.position);
    });
    return item;
  }

  function button(text: string, label: string, onClick: () => Promise<void>): HTMLButtonElement {
    const made = make("button", "secondary", text);
    made.type = "button";
    made.title = label;
    made.setAttribute("aria-label", label);
    made.addEventListener("click", () => void onClick());
    return made;
  }

  function showCount(): void {
    elements.count.textContent =
      total === 0 ? "No photos yet." : total === 1 ? "1 photo. Drag to reorder." : `${total} photos. Drag to reorder.`;
  }

  /** The first page again (after a save, a move or a delete: the server's order is the truth), or the next one. */
  async function load(more = false): Promise<void> {
    const { viewer } = await request<PhotosQuery>(PHOTOS, { first: PAGE_SIZE, after: more ? endCursor : null });
    if (!viewer) return;
    total = viewer.photos.totalCount;
    endCursor = viewer.photos.pageInfo.endCursor;
    const tiles = viewer.photos.edges.map((edge) => tile(edge.node));
    if (more) elements.grid.append(...tiles);
    else elements.grid.replaceChildren(...tiles);
    elements.more.hidden = !viewer.photos.pageInfo.hasNextPage;
    showCount();
  }

  async function change(work: () => Promise<unknown>, done: string): Promise<void> {
    elements.grid.classList.add("busy");
    try {
      await work();
      await load();
      say(elements.status, done);
    } catch (error) {
      say(elements.status, describeError(error), true);
    } finally {
      elements.grid.classList.remove("busy");
    }
  }

  function move(id: string, position: number): Promise<void> {
    const input: UpdatePhotoMutationVariables["input"] = { id, position: Math.max(0, Math.min(total - 1, position)) };
    return change(() => request(UPDATE_PHOTO, { input }), "Moved.");
  }

  function deletePhoto(id: string): Promise<void> {
    return change(() => request(DELETE_PHOTO, { id }), "Deleted.");
  }

  function reset(): void {
    elements.grid.replaceChildren();
    elements.more.hidden = true;
    total = 0;
    endCursor = null;
    say(elements.status, "");
  }

  elements.more.addEventListener("click", () => load(true).catch((error: unknown) => say(elements.status, describeError(error), true)));

  return { load: () => load(), reset };
}
