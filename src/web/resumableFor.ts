import type { ResumableOptions } from "../client/sendResumable.js";

/**
 * Files from 1 MiB up go over tus, so a phone that loses its connection (or a
 * reloaded page, when the same file is chosen again) goes on from the last
 * byte the server kept; smaller ones are one multipart request, which is
 * quicker than a tus creation and a PATCH.
 */
export const RESUMABLE_FROM_BYTES = 1024 * 1024;

/** The helper's resumable options for `file`, saying "Resumed at 62 %" through `say`; undefined for a small file. */
export function resumableFor(file: Blob, say: (text: string) => void): ResumableOptions | undefined {
  if (file.size < RESUMABLE_FROM_BYTES) return undefined;
  return {
    retryDelays: [0, 1000, 3000, 5000, 10_000],
    onResumed: (bytes, total) => say(`Resumed at ${Math.floor((100 * bytes) / total)} %`),
  };
}
