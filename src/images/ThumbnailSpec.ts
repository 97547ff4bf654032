import { refusals } from "../errors/refusals.js";
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

/**
 * The point a COVER crop is centred on, 0..1 of the source's width and height
 * (the crop's, when there is one); `auto` when attention found it.
 */
export interface FocalPoint {
  readonly x: number;
  readonly y: number;
  readonly auto: boolean;
}

/**
 * A thumbnail as asked for. `height` null keeps the aspect ratio; with `crop`,
 * it is made from that region; a COVER box is cut around `focus` (the centre without one).
 */
export interface ThumbnailSpec {
  readonly width: number;
  readonly height: number | null;
  readonly fit: Fit;
  readonly format: StoredFormat;
  readonly crop?: CropRect | null | undefined;
  readonly focus?: FocalPoint | null | undefined;
}

/** A focal point as written in variant names: thousandths. */
const FOCUS_STEPS = 1000;

/**
 * The variant name, unique per image and per look: `<w>x<h|auto>.<fit>.<ext>`,
 * with a crop `….c<x>x<y>x<w>x<h>.<ext>`, and for a COVER box cut around a
 * chosen focal point `….f<x>x<y>.<ext>` (thousandths), so a new point is a new
 * name and a new URL; also the end of the storage key. An automatic point is
 * not named: it is a function of the pixels.
 */
export function variantOf(spec: ThumbnailSpec): string {
  const crop = spec.crop ? `.c${spec.crop.x}x${spec.crop.y}x${spec.crop.width}x${spec.crop.height}` : "";
  const focus =
    spec.fit === "COVER" && spec.focus && !spec.focus.auto
      ? `.f${Math.round(spec.focus.x * FOCUS_STEPS)}x${Math.round(spec.focus.y * FOCUS_STEPS)}`
      : "";
  return `${spec.width}x${spec.height ?? "auto"}.${spec.fit.toLowerCase()}${crop}${focus}.${extensionOf[spec.format]}`;
}

/**
 * The size, fit and format a variant name says (its crop and focal point aside): variantOf's inverse, or
 * undefined for a name it never writes.
 */
export function sizeOfVariant(variant: string): Pick<ThumbnailSpec, "width" | "height" | "fit" | "format"> | undefined {
  const match = /^(\d{1,5})x(\d{1,5}|auto)\.(cover|contain|inside)(?:\.c\d+x\d+x\d+x\d+)?(?:\.f\d+x\d+)?\.([a-z0-9]+)$/.exec(variant);
  const format = match && (Object.keys(extensionOf) as StoredFormat[]).find((candidate) => extensionOf[candidate] === match[4]);
  if (!match || !format) return undefined;
  return { width: Number(match[1]), height: match[2] === "auto" ? null : Number(match[2]), fit: match[3]!.toUpperCase() as Fit, format };
}

/** True for a variant made from the whole original, without a chosen focal point: one any image of the same bytes can share. */
export function isSharableVariant(variant: string): boolean {
  return !/\.(c\d+x\d+x\d+x\d+|f\d+x\d+)\./.test(variant);
}

/**
 * Checks a requested size against the configured bounds.
 * @throws UpstageError BAD_USER_INPUT naming the bound.
 */
export function checkThumbnailSize(spec: ThumbnailSpec, maxSize: number): void {
  for (const [name, value] of [
    ["width", spec.width],
    ["height", spec.height],
  ] as const) {
    if (value === null) continue;
    if (!Number.isInteger(value) || value < 1 || value > maxSize) {
      throw refusals.badThumbnailSize(name, maxSize, value);
    }
  }
}
