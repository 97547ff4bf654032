// The profile page at GET /: upstage's reference client, built on the package's own client helper.
import type { CommitProfileMutation, CommitProfileMutationVariables, ProfileFieldsFragment } from "../client/generated/operations.js";
import { graphqlRequest } from "../client/graphqlRequest.js";
import { COMMIT_PROFILE } from "../client/operations.js";
import { type StagedImage, stageImageWithProgress, type UploadProgress } from "../client/stageImageWithProgress.js";
import { ACCEPTED_MEDIA_TYPES } from "../images/acceptedFormats.js";
import { element, say } from "./dom.js";
import { describeError, errorMessage } from "./errorMessages.js";
import { formatBytes } from "./formatBytes.js";
import { readPageConfig } from "./pageConfig.js";
import { createPhotoGrid } from "./photoGrid.js";
import { createPhotoUploads } from "./photoUploads.js";
import { resumableFor } from "./resumableFor.js";
import { closeSession, openSession, type Session } from "./session.js";
import { shrinkImage } from "./shrinkImage.js";
import { startSignInForm } from "./signInForm.js";

const config = readPageConfig();
const endpoint = new URL(config.graphqlPath, location.href).href;

const ui = {
  signIn: element<HTMLElement>("sign-in"),
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
  resumeNote: element<HTMLElement>("resume-note"),
  progress: element<HTMLProgressElement>("progress"),
  uploadStatus: element<HTMLElement>("upload-status"),
  cancel: element<HTMLButtonElement>("cancel"),
  preview: element<HTMLElement>("preview"),
  save: element<HTMLButtonElement>("save"),
  saveStatus: element<HTMLElement>("save-status"),
  photos: element<HTMLElement>("photos"),
};

let session: Session | undefined;
let staged: StagedImage | undefined;
let upload: AbortController | undefined;
/** The upload under way, settled when it ends (whatever became of it): Save waits for it. */
let uploading: Promise<void> | undefined;
/** Why the last picture chosen did not stage, in words; Save says it saved without it. */
let pictureFailure: string | undefined;

const photoStatus = element<HTMLElement>("photos-status");
const photoGrid = createPhotoGrid(
  { grid: element("photo-grid"), count: element("photo-count"), more: element("more-photos"), status: photoStatus },
  { session: () => session },
);
const photoUploads = createPhotoUploads(
  {
    files: element("photo-files"),
    drop: element("photo-drop"),
    list: element("photo-uploads"),
    save: element("save-photos"),
    status: photoStatus,
  },
  { session: () => session, onSaved: () => photoGrid.load() },
);

// --- signing in ---------------------------------------------------------

async function signIn(token: string): Promise<void> {
  session = await openSession(endpoint, token);
  showProfile(session.viewer);
  ui.photos.hidden = false;
  await Promise.all([photoGrid.load(), photoUploads.load()]).catch((error: unknown) => say(photoStatus, describeError(error), true));
}

async function signOut(): Promise<void> {
  upload?.abort();
  photoUploads.reset();
  photoGrid.reset();
  await closeSession(session);
  session = undefined;
  staged = undefined;
  ui.profile.hidden = true;
  ui.photos.hidden = true;
  ui.signIn.hidden = false;
}

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
  ui.resumeNote.hidden = true;
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
      ? `Shrunk to ${shrunk.width}×${shrunk.height}: sending ${formatBytes(body.size)} instead of ${formatBytes(file.size)}, ` +
        `${formatBytes(shrunk.savedBytes)} saved.`
      : "Already small enough: sent as it is, 0 bytes saved.";
  }

  say(ui.uploadStatus, "Starting…");
  try {
    staged = await stageImageWithProgress(body, {
      endpoint,
      token: session.token,
      wsClient: session.ws,
      signal: controller.signal,
      // Straight to the bucket where the server has that door; else large files over tus.
      direct: session.uploads.direct,
      resumable: resumableFor(body, (text) => {
        if (upload !== controller) return;
        ui.resumeNote.hidden = false;
        ui.resumeNote.textContent = text;
      }),
      onProgress: (progress) => {
        if (upload === controller) showProgress(progress);
      },
    });
    if (upload === controller) showPreview(staged.image);
  } catch (error) {
    if (upload !== controller) return;
    if (controller.signal.aborted) {
      if (ui.uploadStatus.textContent !== "Upload cancelled (ABORTED).")
        say(ui.uploadStatus, "Upload cancelled before it reached the server.", true);
      pictureFailure = "the upload was cancelled";
    } else {
      say(ui.uploadStatus, describeError(error), true);
      pictureFailure = describeError(error);
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
    const { commitProfile } = await graphqlRequest<CommitProfileMutation, CommitProfileMutationVariables>(
      COMMIT_PROFILE,
      { input },
      { endpoint, token: session.token },
    );
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
    say(ui.saveStatus, describeError(error), true);
  } finally {
    ui.save.disabled = false;
  }
});

// --- start --------------------------------------------------------------

ui.file.accept = ACCEPTED_MEDIA_TYPES;
startSignInForm({ config, devToken: {}, signIn, signOut });
