// The admin page at GET /admin: every image, newest first, as the Django
// admin's list was. Filtered by status and owner, paged by the connection's
// cursors, with delete. Non-admins are told plainly that it is not for them.
import type { AdminImagesQuery, AdminImagesQueryVariables, ImageStatus } from "../client/generated/operations.js";
import { graphqlRequest } from "../client/graphqlRequest.js";
import { ADMIN_IMAGES, DELETE_IMAGE } from "../client/operations.js";
import { UpstageRequestError } from "../client/UpstageRequestError.js";
import { element, make, say } from "./dom.js";
import { describeError } from "./errorMessages.js";
import { formatBytes } from "./formatBytes.js";
import { readPageConfig } from "./pageConfig.js";
import { closeSession, openSession, type Session } from "./session.js";
import { startSignInForm } from "./signInForm.js";
import { thumbhashBackground } from "./thumbhashBackground.js";

const PAGE_SIZE = 25;

const config = readPageConfig();
const endpoint = new URL(config.graphqlPath, location.href).href;

const ui = {
  refusal: element<HTMLElement>("refusal"),
  refusalText: element<HTMLElement>("refusal-text"),
  refusalSignOut: element<HTMLButtonElement>("refusal-sign-out"),
  list: element<HTMLElement>("list"),
  filter: element<HTMLFormElement>("filter"),
  filterStatus: element<HTMLSelectElement>("filter-status"),
  filterOwner: element<HTMLInputElement>("filter-owner"),
  username: element<HTMLElement>("username"),
  signOut: element<HTMLButtonElement>("sign-out"),
  summary: element<HTMLElement>("summary"),
  rows: element<HTMLTableSectionElement>("rows"),
  previous: element<HTMLButtonElement>("previous-page"),
  next: element<HTMLButtonElement>("next-page"),
  status: element<HTMLElement>("list-status"),
};

type ImageNode = AdminImagesQuery["images"]["edges"][number]["node"];

let session: Session | undefined;
/** The `after` cursor of each page shown so far: the last one is the current page's. */
let pages: (string | null)[] = [null];
let nextCursor: string | null = null;

function show(section: "sign-in" | "refusal" | "list"): void {
  element("sign-in").hidden = section !== "sign-in";
  ui.refusal.hidden = section !== "refusal";
  ui.list.hidden = section !== "list";
}

function currentFilter(): AdminImagesQueryVariables["filter"] {
  const status = ui.filterStatus.value as ImageStatus | "";
  const ownerId = ui.filterOwner.value.trim();
  return { ...(status ? { status } : {}), ...(ownerId ? { ownerId } : {}) };
}

function row(image: ImageNode): HTMLTableRowElement {
  const tr = make("tr");
  tr.dataset["id"] = image.id;
  const thumbnail = make("img");
  thumbnail.src = image.thumbnail.url;
  thumbnail.alt = "";
  thumbnail.width = 48;
  thumbnail.height = 48;
  thumbnail.loading = "lazy";
  thumbnail.style.background = thumbhashBackground(image);
  const owner = make("td", "owner");
  if (image.owner) {
    const link = make("a", "", image.owner.username);
    link.href = "#";
    link.title = `Show only ${image.owner.username}'s images`;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      ui.filterOwner.value = image.owner!.id;
      void reload();
    });
    owner.append(link);
  }
  const status = make("td");
  status.append(make("span", `badge ${image.status}`, image.status === "STAGED" ? "Staged" : "Committed"));
  const remove = make("button", "danger", "Delete");
  remove.type = "button";
  remove.setAttribute("aria-label", `Delete image ${image.id}`);
  remove.addEventListener("click", () => void deleteImage(image, remove));
  const cells: (HTMLElement | string)[] = [
    thumbnail,
    owner,
    status,
    make("td", "number size", formatBytes(image.byteSize)),
    make("td", "number", `${image.width}×${image.height}`),
    make("td", "date", new Date(image.createdAt).toLocaleString()),
    remove,
  ];
  for (const cell of cells) {
    if (cell instanceof HTMLTableCellElement) tr.append(cell);
    else {
      const td = make("td");
      td.append(cell);
      tr.append(td);
    }
  }
  return tr;
}

/** Shows the page that starts after `pages.at(-1)`. */
async function showPage(): Promise<void> {
  if (!session) return;
  say(ui.status, "Loading…");
  try {
    const { images } = await graphqlRequest<AdminImagesQuery, AdminImagesQueryVariables>(
      ADMIN_IMAGES,
      { filter: currentFilter(), first: PAGE_SIZE, after: pages.at(-1) ?? null },
      { endpoint, token: session.token },
    );
    show("list");
    ui.rows.replaceChildren(...images.edges.map((edge) => row(edge.node)));
    nextCursor = images.pageInfo.endCursor;
    ui.next.disabled = !images.pageInfo.hasNextPage;
    ui.previous.disabled = pages.length <= 1;
    const first = (pages.length - 1) * PAGE_SIZE;
    ui.summary.textContent =
      images.totalCount === 0
        ? "No images match."
        : `${first + 1}–${first + images.edges.length} of ${images.totalCount} image${images.totalCount === 1 ? "" : "s"}, newest first.`;
    say(ui.status, "");
  } catch (error) {
    if (error instanceof UpstageRequestError && error.code === "FORBIDDEN") {
      say(
        ui.refusalText,
        `This page is for admins. ${session.viewer.username} is signed in, and that token has no admin role (FORBIDDEN).`,
        true,
      );
      return show("refusal");
    }
    say(ui.status, describeError(error), true);
  }
}

function reload(): Promise<void> {
  pages = [null];
  return showPage();
}

async function deleteImage(image: ImageNode, button: HTMLButtonElement): Promise<void> {
  if (!session) return;
  if (
    !confirm(`Delete this ${image.width}×${image.height} image${image.owner ? ` of ${image.owner.username}'s` : ""}, wherever it is used?`)
  )
    return;
  button.disabled = true;
  try {
    await graphqlRequest(DELETE_IMAGE, { id: image.id }, { endpoint, token: session.token });
    await showPage();
    say(ui.status, "Deleted.");
  } catch (error) {
    button.disabled = false;
    say(ui.status, describeError(error), true);
  }
}

async function signIn(token: string): Promise<void> {
  session = await openSession(endpoint, token);
  ui.username.textContent = session.viewer.username;
  await reload();
}

async function signOut(): Promise<void> {
  await closeSession(session);
  session = undefined;
  ui.rows.replaceChildren();
  show("sign-in");
}

ui.signOut.addEventListener("click", () => void signOut());
ui.refusalSignOut.addEventListener("click", () => void signOut());
ui.filter.addEventListener("submit", (event) => {
  event.preventDefault();
  void reload();
});
ui.filterStatus.addEventListener("change", () => void reload());
ui.next.addEventListener("click", () => {
  pages.push(nextCursor);
  void showPage();
});
ui.previous.addEventListener("click", () => {
  if (pages.length > 1) pages.pop();
  void showPage();
});

startSignInForm({ config, devToken: { admin: true }, signIn, signOut });
