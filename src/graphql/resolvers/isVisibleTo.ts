import type { ImageRow } from "../../db/rows.js";

/** Committed images are public to signed-in users; staged ones only to their owner; deleted ones to nobody. */
export function isVisibleTo(image: ImageRow, viewerId: string): boolean {
  switch (image.status) {
    case "COMMITTED":
      return true;
    case "STAGED":
      return image.owner_id === viewerId;
    case "DELETED":
      return false;
  }
}
