// The Photos section's uploads: files chosen or dropped, each with its own
// bar, Cancel and error in words, staged 3 at a time by the client helper;
// staged ones wait as tiles (ThumbHash, then the picture, a focal point chosen
// by clicking it, and a caption) until "Save photos" adds them with one addPhotos call.
import type {
  AddPhotosMutation,
  AddPhotosMutationVariables,
  StagedImageFieldsFragment,
  StagedImagesQuery,
} from "../client/generated/operations.js";
import { graphqlRequest } from "../client/graphqlRequest.js";
import { ADD_PHOTOS, DISCARD_STAGED_IMAGE, STAGED_IMAGES } from "../client/operations.js";
import { stageImagesWithProgress } from "../client/stageImagesWithProgress.js";
import type { UploadProgress } from "../client/stageImageWithProgress.js";
import { ACCEPTED_MEDIA_TYPES } from "../images/acceptedFormats.js";
import { make, say } from "./dom.js";
import { describeError } from "./errorMessages.js";
import { createFocalPointPicker, type FocalPoint } from "./focalPointPicker.js";
import { formatBytes } from "./formatBytes.js";
import { resumableFor } from "./resumableFor.js";
import type { Session } from "./session.js";
import { thumbhashBackground } from "./thumbhashBackground.js";

export interface PhotoUploadsElements {
  readonly files: HTMLInputElement;
  readonly drop: HTMLElement;
  readonly list: HTMLElement;
  readonly save: HTMLButtonElement;
  readonly status: HTMLElement;
}

/** One file's tile, from its first byte to its staged image. */
interface Tile {
  readonly item: HTMLLIElement;
  readonly bar: HTMLProgressElement;
  readonly text: HTMLElement;
  readonly button: HTMLButtonElement;
  readonly controller: AbortController;
  staged?: StagedImageFieldsFragment;
  caption?: HTMLInputElement;
  /** Set once the person clicked the picture; otherwise the server's automatic point stays. */
  focalPoint?: FocalPoint;
  /** "Resumed at 62 %", once a resumable upload went on from an earlier attempt. */
  resumed?: string;
}

export function createPhotoUploads(
  elements: PhotoUploadsElements,
  options: { readonly session: () => Session | undefined; readonly onSaved: () => Promise<void> },
) {
  const tiles = new Set<Tile>();
  /** Batches run one after another, so the page never has more than 3 uploads in flight (the server allows MAX_CONCURRENT_UPLOADS). */
  let queue: Promise<unknown> = Promise.resolve();

  function refreshSave(): void {
    elements.save.disabled = ![...tiles].some((tile) => tile.staged);
  }

  function newTile(name: string): Tile {
    const item = make("li", "upload");
    const title = make("span", "name", name);
    const bar = make("progress");
    bar.max = 100;
    bar.value = 0;
    const text = make("span", "status", "Waiting its turn…");
    text.setAttribute("role", "status");
    const button = make("button", "secondary", "Cancel");
    button.type = "button";
    const tile: Tile = { item, bar, text, button, controller: new AbortController() };
    button.addEventListener("click", () => {
      if (tile.staged) void discard(tile);
      else if (item.dataset["state"] === "failed") remove(tile);
      else tile.controller.abort();
    });
    item.dataset["state"] = "queued";
    item.append(title, bar, text, button);
    elements.list.append(item);
    tiles.add(tile);
    return tile;
  }

  function remove(tile: Tile): void {
    tile.item.remove();
    tiles.delete(tile);
    refreshSave();
  }

  function showProgress(tile: Tile, progress: UploadProgress): void {
    tile.item.dataset["state"] = "uploading";
    switch (progress.phase) {
      case "RECEIVING": {
        const percent = Math.floor(progress.percent ?? 0);
        tile.bar.value = percent;
        say(tile.text, `${percent}% (${formatBytes(progress.bytesReceived)})${tile.resumed ? ` · ${tile.resumed}` : ""}`);
        break;
      }
      case "PROCESSING":
        tile.bar.value = 100;
        say(tile.text, "Processing…");
        break;
      default:
        break;
    }
  }

  function showFailure(tile: Tile, text: string): void {
    tile.item.dataset["state"] = "failed";
    tile.bar.hidden = true;
    say(tile.text, text, true);
    tile.button.textContent = "Remove";
  }

  /**
   * The tile of a staged image: its ThumbHash painted at once, the whole
   * picture over it when it loads (a click on it sets the focal point), and a caption.
   */
  function showStaged(tile: Tile, staged: StagedImageFieldsFragment): void {
    tile.staged = staged;
    tile.item.dataset["state"] = "staged";
    tile.item.dataset["stagedImageId"] = staged.id;
    const img = make("img", "staged-thumbnail");
    img.alt = "Staged photo";
    img.style.background = thumbhashBackground(staged.image);
    img.width = 96;
    img.height = 96;
    img.src = staged.image.url;
    const picker = createFocalPointPicker(img, staged.image.focalPoint, (point) => {
      tile.focalPoint = point;
      tile.item.dataset["focalPoint"] = `${point.x},${point.y}`;
    });
    const caption = make("input", "caption");
    caption.type = "text";
    caption.placeholder = "Caption (optional)";
    caption.maxLength = 500;
    caption.setAttribute("aria-label", "Caption");
    tile.caption = caption;
    tile.bar.hidden = true;
    say(tile.text, "Ready. Click the picture to choose its centre; Save photos to keep it.");
    tile.button.textContent = "Discard";
    tile.item.prepend(picker);
    tile.text.before(caption);
    refreshSave();
  }

  async function discard(tile: Tile): Promise<void> {
    const session = options.session();
    if (!session || !tile.staged) return;
    try {
      await graphqlRequest(DISCARD_STAGED_IMAGE, { id: tile.staged.id }, { endpoint: session.endpoint, token: session.token });
      remove(tile);
    } catch (error) {
      say(tile.text, describeError(error), true);
    }
  }

  /** Queues the files; each one's tile shows where it is. */
  function add(files: readonly File[]): void {
    const session = options.session();
    if (!session || files.length === 0) return;
    say(elements.status, "");
    const batch = files.map((file) => newTile(file.name));
    queue = queue.then(() =>
      stageImagesWithProgress(files, {
        endpoint: session.endpoint,
        token: session.token,
        wsClient: session.ws,
        concurrency: 3,
        signals: batch.map((tile) => tile.controller.signal),
        // Straight to the bucket where the server has that door; else large files over tus.
        direct: session.uploads.direct,
        resumable: (file, index) => resumableFor(file, (text) => (batch[index]!.resumed = text)),
        onProgress: (index, progress) => showProgress(batch[index]!, progress),
        onSettled: (index, result) => {
          const tile = batch[index]!;
          if (result.status === "fulfilled") showStaged(tile, result.value);
          else if (tile.controller.signal.aborted) showFailure(tile, "Upload cancelled.");
          else showFailure(tile, describeError(result.reason));
        },
      }),
    );
  }

  /** After a reload: the staged images not saved yet come back as tiles. */
  async function load(): Promise<void> {
    const session = options.session();
    if (!session) return;
    const { stagedImages } = await graphqlRequest<StagedImagesQuery>(
      STAGED_IMAGES,
      {},
      { endpoint: session.endpoint, token: session.token },
    );
    // Oldest first, as they were chosen.
    for (const staged of [...stagedImages].reverse()) showStaged(newTile("Uploaded earlier"), staged);
  }

  /** Adds every staged tile, in order, with one addPhotos call; waits for the uploads under way first. */
  async function save(): Promise<void> {
    const session = options.session();
    if (!session) return;
    elements.save.disabled = true;
    try {
      if ([...tiles].some((tile) => !tile.staged && tile.item.dataset["state"] !== "failed")) {
        say(elements.status, "Waiting for the uploads to finish…");
        await queue;
      }
      const ready = [...tiles].filter((tile) => tile.staged);
      if (ready.length === 0) return say(elements.status, "Nothing to save: no photo finished uploading.", true);
      say(elements.status, "Saving…");
      const input: AddPhotosMutationVariables["input"] = {
        photos: ready.map((tile) => ({
          stagedImageId: tile.staged!.id,
          caption: tile.caption?.value.trim() || null,
          ...(tile.focalPoint ? { focalPoint: tile.focalPoint } : {}),
        })),
      };
      const { addPhotos } = await graphqlRequest<AddPhotosMutation, AddPhotosMutationVariables>(
        ADD_PHOTOS,
        { input },
        { endpoint: session.endpoint, token: session.token },
      );
      ready.forEach(remove);
      say(elements.status, addPhotos.length === 1 ? "Saved 1 photo." : `Saved ${addPhotos.length} photos.`);
      await options.onSaved();
    } catch (error) {
      say(elements.status, describeError(error), true);
    } finally {
      refreshSave();
    }
  }

  /** Sign-out: cancels what is under way and clears the tiles. */
  function reset(): void {
    for (const tile of tiles) tile.controller.abort();
    tiles.clear();
    elements.list.replaceChildren();
    say(elements.status, "");
    refreshSave();
  }

  elements.files.accept = ACCEPTED_MEDIA_TYPES;
  elements.files.addEventListener("change", () => {
    add([...(elements.files.files ?? [])]);
    elements.files.value = "";
  });
  elements.drop.addEventListener("dragover", (event) => {
    if (!event.dataTransfer?.types.includes("Files")) return;
    event.preventDefault();
    elements.drop.classList.add("over");
  });
  elements.drop.addEventListener("dragleave", () => elements.drop.classList.remove("over"));
  elements.drop.addEventListener("drop", (event) => {
    event.preventDefault();
    elements.drop.classList.remove("over");
    add([...(event.dataTransfer?.files ?? [])]);
  });
  elements.save.addEventListener("click", () => void save());

  return { add, load, save, reset };
}
