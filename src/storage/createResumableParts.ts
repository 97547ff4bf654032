import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";

/** The bytes of resumable uploads under way, as the tus data store keeps them. */
export interface ResumableParts {
  /** The upload's bytes stored so far, from the start. */
  read(id: string): Readable;
  /** Links (or, across disks, copies) the complete upload to `target`. */
  copyTo(id: string, target: string): Promise<void>;
  /** Removes the upload's bytes and its info; a missing one is not an error. */
  remove(id: string): Promise<void>;
}

/**
 * The parts in `directory` as @tus/file-store writes them: the bytes at
 * `<id>` and tus's info at `<id>.json`.
 */
export function createResumableParts(directory: string): ResumableParts {
  const file = (id: string) => path.join(directory, id);
  return {
    read: (id) => createReadStream(file(id)),
    async copyTo(id, target) {
      // A hard link when the scratch directory is on the same disk (it is, under DATA_DIR); a copy otherwise.
      await fs.link(file(id), target).catch(() => fs.copyFile(file(id), target));
    },
    async remove(id) {
      await Promise.all([fs.rm(file(id), { force: true }), fs.rm(`${file(id)}.json`, { force: true })]);
    },
  };
}
