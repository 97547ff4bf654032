import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { extensionOf, type StoredFormat } from "./imageFormat.js";

/** How a thumbnail fills its box; the GraphQL `ImageFit` enum has the same members. */
export type Fit = "COVER" | "CONTAIN" | "INSIDE";

/** A region of the original, in its pixels: the avatar crop chosen at commit. */
export interface CropRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A thumbnail as asked for. `height` null keeps the aspect ratio; with `crop`, it is made from that region. */
export interface ThumbnailSpec {
  readonly width: number;
  readonly height: number | null;
  readonly fit: Fit;
  readonly format: StoredFormat;
  readonly crop?: CropRect | null | undefined;
}

/**
 * The variant name, unique per image: `<w>x<h|auto>.<fit>.<ext>`, or with a
 * crop `<w>x<h|auto>.<fit>.c<x>x<y>x<w>x<h>.<ext>`; also the end of the storage key.
 */
export function variantOf(spec: ThumbnailSpec): string {
  const crop = spec.crop ? `.c${spec.crop.x}x${spec.crop.y}x${spec.crop.width}x${spec.crop.height}` : "";
  return `${spec.width}x${spec.height ?? "auto"}.${spec.fit.toLowerCase()}${crop}.${extensionOf[spec.format]}`;
}

/** True for a variant made from the whole original (no crop). */
export function isUncroppedVariant(variant: string): boolean {
  return !/\.c\d+x\d+x\d+x\d+\./.test(variant);
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
