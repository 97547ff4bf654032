import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { extensionOf, type StoredFormat } from "./imageFormat.js";

/** How a thumbnail fills its box; the GraphQL `ImageFit` enum has the same members. */
export type Fit = "COVER" | "CONTAIN" | "INSIDE";

/** A thumbnail as asked for. `height` null keeps the aspect ratio. */
export interface ThumbnailSpec {
  readonly width: number;
  readonly height: number | null;
  readonly fit: Fit;
  readonly format: StoredFormat;
}

/** The variant name, unique per image: `<w>x<h|auto>.<fit>.<ext>`; also the end of the storage key. */
export function variantOf(spec: ThumbnailSpec): string {
  return `${spec.width}x${spec.height ?? "auto"}.${spec.fit.toLowerCase()}.${extensionOf[spec.format]}`;
}

/**
 * Checks a requested size against the configured bounds.
 * @throws UpstageError BAD_USER_INPUT naming the bound.
 */
export function checkThumbnailSize(spec: ThumbnailSpec, maxSize: number): void {
  for (const [name, value] of [["width", spec.width], ["height", spec.height]] as const) {
    if (value === null) continue;
    if (!Number.isInteger(value) || value < 1 || value > maxSize) {
      throw new UpstageError(ErrorCode.BadUserInput, `Expected ${name} between 1 and ${maxSize} but received ${value}.`);
    }
  }
}
