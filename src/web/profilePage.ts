// The profile page at GET /: upstage's reference client, built on the package's own client helper.
import { createClient, type Client } from "graphql-ws";
import type { CommitProfileMutation, CommitProfileMutationVariables, ProfileFieldsFragment, ViewerQuery } from "../client/generated/operations.js";
import { graphqlRequest } from "../client/graphqlRequest.js";
import { COMMIT_PROFILE, VIEWER } from "../client/operations.js";
import { stageImageWithProgress, type StagedImage, type UploadProgress } from "../client/stageImageWithProgress.js";
import { UpstageRequestError } from "../client/UpstageRequestError.js";
import { errorMessage } from "./errorMessages.js";
import { shrinkImage } from "./shrinkImage.js";

/** What the server writes into the page. */
interface PageConfig {
  readonly graphqlPath: string;
  /** The server runs on its generated development secret and mints tokens for the one-click sign-in. */
  readonly devSignIn: boolean;
  readonly devTokenPath: string;
}

const TOKEN_KEY = "upstage.token";
const config = JSON.parse(document.getElementById("upstage-config")!.textContent!) as PageConfig;
const endpoint = new URL(config.graphqlPath, location.href).href;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}.`);
  return found as T;
}

const ui = {
  signIn: element<HTMLElement>("sign-in"),
  token: element<HTMLTextAreaElement>("token"),
  signInToken: element<HTMLButtonElement>("sign-in-token"),
  signInDev: element<HTMLButtonElement>("sign-in-dev"),
  signInStatus: element<HTMLElement>("sign-in-status"),
  profile: element<HTMLFormElement>("profile"),
  avatar: element<HTMLImageElement>("avatar"),
  noAvatar: element<HTMLElement>("no-avatar"),
  username: element<HTMLElement>("username"),
  signOut: element<HTMLButtonElement>("sign-out"),
  firstName: element<HTMLInputElement>("first-name"),
  lastName: element<HTMLInputElement>("last-name"),
  file: element<HTMLInputElement>("file"),
  shrink: element<HTMLInputElement>("shrink"),
  shrinkSize: element<HTMLInputElement>("shrink-size"),
  shrinkNote: element<HTMLElement>("shrink-note"),
  progress: element<HTMLProgressElement>("progress"),
  uploadStatus: element<HTMLElement>("upload-status"),
  cancel: element<HTMLButtonElement>("cancel"),
  preview: element<HTMLElement>("preview"),
  save: element<HTMLButtonElement>("save"),
  saveStatus: element<HTMLElement>("save-status"),
};

interface Session {
  readonly token: string;
  readonly ws: Client;
}

let session: Session | undefined;
let staged: StagedImage | undefined;
let upload: AbortController | undefined;
/** The upload under way, settled when it ends (whatever became of it): Save waits for it. */
let uploading: Promise<void> | undefined;
/** Why the last picture chosen did not stage, in words; Save says it saved without it. */
let pictureFailure: string | undefined;

function say(target: HTMLElement, text: string, isError = false): void {
  target.textContent = text;
  target.classList.toggle("error", isError);
}

function describe(error: unknown): string {
  if (error instanceof UpstageRequestError) return errorMessage(error.code, error.message);
  return error instanceof Error ? error.message : String(error);
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// --- signing in ---------------------------------------------------------

async function signIn(token: string): Promise<void> {
  const ws = createClient({
    url: endpoint.replace(/^http/, "ws"),
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: true,
  });
  try {
    const { viewer } = await graphqlRequest<ViewerQuery>(VIEWER, {}, { endpoint, token });
    if (!viewer) throw new UpstageRequestError("UNAUTHENTICATED", "No user for this token.");
    session = { token, ws };
    localStorage.setItem(TOKEN_KEY, token);
    showProfile(viewer);
  } catch (error) {
    await ws.dispose();
    throw error;
  }
}

async function signOut(): Promise<void> {
  upload?.abort();
  localStorage.removeItem(TOKEN_KEY);
  await session?.ws.dispose();
  session = undefined;
  staged = undefined;
  ui.profile.hidden = true;
  ui.signIn.hidden = false;
}

ui.signInToken.addEventListener("click", () => {
  say(ui.signInStatus, "");
  signIn(ui.token.value.trim()).catch((error: unknown) => say(ui.signInStatus, describe(error), true));
});

ui.signInDev.addEventListener("click", async () => {
  say(ui.signInStatus, "");
  try {
    const response = await fetch(config.devTokenPath, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    if (!response.ok) throw new Error(`The server would not mint a development token (${response.status}).`);
    const { token } = (await response.json()) as { token: string };
    await signIn(token);
  } catch (error) {
    say(ui.signInStatus, describe(error), true);
  }
});

ui.signOut.addEventListener("click", () => void signOut());

// --- the profile --------------------------------------------------------

function showProfile(user: ProfileFieldsFragment): void {
  ui.signIn.hidden = true;
  ui.profile.hidden = false;
  ui.username.textContent = user.username;
  ui.firstName.value = user.firstName ?? "";
  ui.lastName.value = user.lastName ?? "";
  ui.avatar.hidden = !user.avatar;
  ui.noAvatar.hidden = Boolean(user.avatar);
  if (user.avatar) ui.avatar.src = user.avatar.thumbnail.url;
}

// --- uploading ----------------------------------------------------------

function showProgress(progress: UploadProgress): void {
  switch (progress.phase) {
    case "RECEIVING": {
      const percent = Math.floor(progress.percent ?? 0);
      ui.progress.value = percent;
      say(ui.uploadStatus, `Uploading… ${percent}% (${formatBytes(progress.bytesReceived)})`);
      break;
    }
    case "PROCESSING":
      ui.progress.value = 100;
      say(ui.uploadStatus, "Processing…");
      break;
    case "READY":
      ui.progress.value = 100;
      say(ui.uploadStatus, "Ready. Save to make it your avatar.");
      break;
    case "FAILED":
      say(ui.uploadStatus, errorMessage(progress.error?.code ?? "INTERNAL_SERVER_ERROR", progress.error?.message), true);
      break;
    case "ABORTED":
      say(ui.uploadStatus, "Upload cancelled (ABORTED).", true);
      break;
  }
}

function showPreview(image: StagedImage["image"]): void {
  ui.preview.replaceChildren(
    ...image.thumbnails.map((thumbnail) => {
      const img = document.createElement("img");
      img.src = thumbnail.url;
      img.width = thumbnail.width;
      img.height = thumbnail.height;
      img.alt = `Preview, ${thumbnail.width}×${thumbnail.height}`;
      return img;
    }),
  );
}

function stage(file: File): void {
  const run = uploadPicture(file);
  uploading = run;
  void run.finally(() => {
    if (uploading === run) uploading = undefined;
  });
}

async function uploadPicture(file: File): Promise<void> {
  if (!session) return;
  upload?.abort();
  pictureFailure = undefined;
  const controller = new AbortController();
  upload = controller;
  staged = undefined;
  ui.preview.replaceChildren();
  ui.shrinkNote.hidden = true;
  ui.progress.hidden = false;
  ui.progress.value = 0;
  ui.cancel.hidden = false;
  say(ui.saveStatus, "");

  let body = file;
  if (ui.shrink.checked) {
    say(ui.uploadStatus, "Shrinking…");
    const shrunk = await shrinkImage(file, Number(ui.shrinkSize.value) || 2048);
    body = shrunk.file;
    ui.shrinkNote.hidden = false;
    ui.shrinkNote.textContent = shrunk.savedBytes
      ? `Shrunk to ${shrunk.width}×${shrunk.height}: sending ${formatBytes(body.size)} instead of ${formatBytes(file.size)}, ${formatBytes(shrunk.savedBytes)} saved.`
      : "Already small enough: sent as it is, 0 bytes saved.";
  }

  say(ui.uploadStatus, "Starting…");
  try {
    staged = await stageImageWithProgress(body, {
      endpoint,
      token: session.token,
      wsClient: session.ws,
      signal: controller.signal,
      onProgress: (progress) => {
        if (upload === controller) showProgress(progress);
      },
    });
    if (upload === controller) showPreview(staged.image);
  } catch (error) {
    if (upload !== controller) return;
    if (controller.signal.aborted) {
      if (ui.uploadStatus.textContent !== "Upload cancelled (ABORTED).") say(ui.uploadStatus, "Upload cancelled before it reached the server.", true);
      pictureFailure = "the upload was cancelled";
    } else {
      say(ui.uploadStatus, describe(error), true);
      pictureFailure = describe(error);
    }
  } finally {
    if (upload === controller) {
      upload = undefined;
      ui.cancel.hidden = true;
    }
  }
}

ui.file.addEventListener("change", () => {
  const file = ui.file.files?.[0];
  if (file) stage(file);
});

ui.cancel.addEventListener("click", () => upload?.abort());

// --- saving -------------------------------------------------------------

ui.profile.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!session) return;
  ui.save.disabled = true;
  try {
    // Saving during an upload waits for its staged image rather than saving without it.
    if (uploading) {
      say(ui.saveStatus, "Waiting for the picture to finish uploading…");
      await uploading;
    }
    const withoutPicture = pictureFailure;
    say(ui.saveStatus, "Saving…");
    const input: CommitProfileMutationVariables["input"] = {
      firstName: ui.firstName.value,
      lastName: ui.lastName.value,
      ...(staged ? { stagedImageId: staged.id } : {}),
    };
    const { commitProfile } = await graphqlRequest<CommitProfileMutation, CommitProfileMutationVariables>(COMMIT_PROFILE, { input }, { endpoint, token: session.token });
    staged = undefined;
    pictureFailure = undefined;
    ui.file.value = "";
    ui.preview.replaceChildren();
    ui.progress.hidden = true;
    say(ui.uploadStatus, "");
    showProfile(commitProfile);
    if (withoutPicture) say(ui.saveStatus, `Saved, without the new picture: ${withoutPicture}.`, true);
    else say(ui.saveStatus, "Saved.");
  } catch (error) {
    say(ui.saveStatus, describe(error), true);
  } finally {
    ui.save.disabled = false;
  }
});

// --- start --------------------------------------------------------------

ui.signInDev.hidden = !config.devSignIn;
const remembered = localStorage.getItem(TOKEN_KEY);
if (remembered) {
  signIn(remembered).catch(async (error: unknown) => {
    await signOut();
    say(ui.signInStatus, describe(error), true);
  });
} else {
  ui.signIn.hidden = false;
}
