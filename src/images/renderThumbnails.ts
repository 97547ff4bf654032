import sharp, { type Sharp } from "sharp";
import type { JpegEncoder } from "../config.js";
import { asDecodeError } from "./decodeError.js";
import { encode } from "./encode.js";
import type { CropRect, ThumbnailSpec } from "./ThumbnailSpec.js";

export interface RenderedThumbnail {
  readonly spec: ThumbnailSpec;
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

/**
 * Decoded pixels, 8 bits a channel, sRGB or grey, with or without alpha: in
 * memory, or in a libvips file (`.v`) that libvips maps into memory, so no
 * pipeline over them decodes anything or puts them on the JS heap.
 */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  /** A new pipeline over the pixels. */
  open(): Sharp;
}

/**
 * Pixels in a Buffer. Not `clone()` of one pipeline: sharp's clone structured-clones its options, the buffer
 * with them, so each would copy the pixels on the main thread.
 */
export function pixelsInMemory(data: Buffer, size: { width: number; height: number; channels: number }): Pixels {
  const { width, height, channels } = size;
  return { width, height, channels, open: () => sharp(data, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } }) };
}

/** Pixels in a libvips file (written with `toFile("….v")`): mapped, not decoded, by each pipeline that opens them. */
export function pixelsInFile(path: string, size: { width: number; height: number; channels: number }): Pixels {
  const { width, height, channels } = size;
  return { width, height, channels, open: () => sharp(path) };
}

const sharpFit = { COVER: "cover", CONTAIN: "contain", INSIDE: "inside" } as const;

/**
 * Renders each spec from one decode of `source` (a normalized original:
 * upright, no metadata), a file path or a stream of the image's bytes. One
 * spec that is not COVER is rendered straight from the file, so libvips may
 * shrink on load; the others are rendered from its pixels, decoded once into memory.
 * Thumbnails are small, so each is returned in memory.
 */
export async function renderThumbnails(
  source: string | NodeJS.ReadableStream,
  specs: readonly ThumbnailSpec[],
  jpegEncoder: JpegEncoder,
): Promise<RenderedThumbnail[]> {
  const input: Sharp = typeof source === "string" ? sharp(source) : sharp();
  if (typeof source !== "string") source.pipe(input);
  try {
    // A COVER box needs the source's size to place its cut: those go through the pixels.
    const [only] = specs;
    if (specs.length < 2 && only?.fit !== "COVER") return only ? [await renderOne(input, only, jpegEncoder)] : [];
    const { data, info } = await input.raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    return await renderFromPixels(pixelsInMemory(data, info), specs, jpegEncoder);
  } catch (error) {
    throw asDecodeError(error);
  }
}

/**
 * Renders each spec from pixels in memory, in parallel. When every spec is far
 * smaller than the pixels, they are first reduced once to twice the largest
 * spec's scale, and each spec is made from that (a 200² thumbnail from
 * 533 × 400 instead of 2048 × 1536; bench/README.md).
 */
export async function renderFromPixels(
  pixels: Pixels,
  specs: readonly ThumbnailSpec[],
  jpegEncoder: JpegEncoder,
): Promise<RenderedThumbnail[]> {
  const scale = Math.min(1, 2 * Math.max(...specs.map((spec) => scaleOf(spec, regionOf(spec, pixels)))));
  const source = scale < 0.5 ? await reduce(pixels, scale) : pixels;
  const scaled = (crop: CropRect | null | undefined) =>
    crop && source !== pixels ? scaleCrop(crop, source.width / pixels.width, source) : crop;
  return Promise.all(
    specs.map(async (spec) => ({ ...(await renderOne(source.open(), { ...spec, crop: scaled(spec.crop) }, jpegEncoder, source)), spec })),
  );
}

/**
 * One thumbnail from `input`. A COVER box is made the way a frontend's
 * `object-position` would: the region is scaled to cover the box, then the box
 * is cut around the focal point, clamped to the edges (never crop first: a
 * point near an edge would fall out).
 */
async function renderOne(
  input: Sharp,
  spec: ThumbnailSpec,
  jpegEncoder: JpegEncoder,
  size?: { width: number; height: number },
): Promise<RenderedThumbnail> {
  const region = spec.crop
    ? input.extract({ left: spec.crop.x, top: spec.crop.y, width: spec.crop.width, height: spec.crop.height })
    : input;
  let resized: Sharp;
  if (spec.fit === "COVER" && spec.height !== null) {
    if (!size) throw new Error("A COVER thumbnail is cut from pixels of a known size.");
    const { width, height } = spec.crop ?? size;
    const box = { width: spec.width, height: spec.height };
    const r = Math.max(box.width / width, box.height / height);
    const covered = { width: Math.max(box.width, Math.round(width * r)), height: Math.max(box.height, Math.round(height * r)) };
    const focus = spec.focus ?? { x: 0.5, y: 0.5 };
    const left = clamp(Math.round(focus.x * covered.width - box.width / 2), 0, covered.width - box.width);
    const top = clamp(Math.round(focus.y * covered.height - box.height / 2), 0, covered.height - box.height);
    resized = region.resize({ ...covered, fit: "fill" }).extract({ left, top, ...box });
  } else {
    resized = region.resize({
      width: spec.width,
      height: spec.height ?? undefined,
      fit: sharpFit[spec.fit],
      background: { r: 0, g: 0, b: 0, alpha: 0 },
    });
  }
  const { data, info } = await encode(resized, spec.format, jpegEncoder).toBuffer({ resolveWithObject: true });
  return { spec, data, width: info.width, height: info.height };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function regionOf(spec: ThumbnailSpec, pixels: Pixels): { width: number; height: number } {
  return spec.crop ?? pixels;
}

/** The factor by which `spec` scales its region. */
function scaleOf(spec: ThumbnailSpec, region: { width: number; height: number }): number {
  const sx = spec.width / region.width;
  if (spec.height === null) return sx;
  const sy = spec.height / region.height;
  return spec.fit === "COVER" ? Math.max(sx, sy) : Math.min(sx, sy);
}

async function reduce(pixels: Pixels, scale: number): Promise<Pixels> {
  const width = Math.max(1, Math.round(pixels.width * scale));
  const height = Math.max(1, Math.round(pixels.height * scale));
  const { data, info } = await pixels.open().resize({ width, height, fit: "fill" }).raw().toBuffer({ resolveWithObject: true });
  return pixelsInMemory(data, info);
}

function scaleCrop(crop: CropRect, factor: number, within: { width: number; height: number }): CropRect {
  const x = Math.min(within.width - 1, Math.floor(crop.x * factor));
  const y = Math.min(within.height - 1, Math.floor(crop.y * factor));
  return {
    x,
    y,
    width: Math.max(1, Math.min(within.width - x, Math.round(crop.width * factor))),
    height: Math.max(1, Math.min(within.height - y, Math.round(crop.height * factor))),
  };
}
