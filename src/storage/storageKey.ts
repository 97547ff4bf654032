import { randomUUID } from "node:crypto";

const KEY_PATTERN = /^images\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\.[a-z0-9]+)+$/;

/** A fresh random key for an original: `images/YYYY/MM/DD/<uuid>.<ext>` (UTC date). */
export function newImageKey(extension: string, now = new Date()): string {
  const y = now.getUTCFullYear();
  const m = String(now.getUTCMonth() + 1).padStart(2, "0");
  const d = String(now.getUTCDate()).padStart(2, "0");
  return `images/${y}/${m}/${d}/${randomUUID()}.${extension}`;
}

/** The key of a thumbnail beside its original: `<uuid>.<variant>` where the variant is `<w>x<h>.<fit>.<ext>`. */
export function thumbnailKey(imageKey: string, variant: string): string {
  return `${imageKey.replace(/\.[a-z0-9]+$/, "")}.${variant}`;
}

/** A thumbnail's key split into its original's key without the extension (the stem) and its variant, or undefined for any other key. */
export function splitThumbnailKey(key: string): { readonly stem: string; readonly variant: string } | undefined {
  const match = /^(images\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(\d.*)$/.exec(key);
  return match && isStorageKey(key) ? { stem: match[1]!, variant: match[2]! } : undefined;
}

/** True for keys this service makes; anything else (traversal, odd characters) is never looked up. */
export function isStorageKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}
