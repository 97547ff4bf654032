import sharp, { type Sharp } from "sharp";
import type { JpegEncoder } from "../config.js";
import { encode } from "./encode.js";
import { asDecodeError } from "./decodeError.js";
import type { CropRect, ThumbnailSpec } from "./ThumbnailSpec.js";

export interface RenderedThumbnail {
  readonly spec: ThumbnailSpec;
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

/** Decoded pixels in memory: 8 bits a channel, sRGB or grey, with or without alpha. */
export interface Pixels {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
}

const sharpFit = { COVER: "cover", CONTAIN: "contain", INSIDE: "inside" } as const;

/**
 * Renders each spec from one decode of `source` (a normalized original:
 * upright, no metadata), a file path or a stream of the image's bytes. One
 * spec is rendered straight from the file, so libvips may shrink on load;
 * several are rendered from its pixels, decoded once into memory.
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
    if (specs.length < 2) return await Promise.all(specs.map(async (spec) => (await renderOne(input.clone(), spec, jpegEncoder)).thumbnail));
    const { data, info } = await input.raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    return await renderFromPixels({ data, width: info.width, height: info.height, channels: info.channels }, specs, jpegEncoder);
  } catch (error) {
    throw asDecodeError(error);
  }
}

/**
 * Renders each spec from pixels in memory, in parallel. Two savings, both
 * measured on a 2048 × 1536 original (bench/README.md):
 * - when every spec is far smaller than the pixels, they are first reduced
 *   once to twice the largest spec's scale, and each spec is made from that
 *   (a 200² thumbnail from 533 × 400 instead of 2048 × 1536);
 * - COVER specs of one aspect ratio (and one crop) share one attention pass:
 *   the largest finds the most salient region, and the others are cut from
 *   that same region, so an avatar shows the same face at every size.
 */
export async function renderFromPixels(pixels: Pixels, specs: readonly ThumbnailSpec[], jpegEncoder: JpegEncoder): Promise<RenderedThumbnail[]> {
  const scale = Math.min(1, 2 * Math.max(...specs.map((spec) => scaleOf(spec, regionOf(spec, pixels)))));
  const source = scale < 0.5 ? await reduce(pixels, scale) : pixels;
  const scaled = (crop: CropRect | null | undefined) => crop && source !== pixels ? scaleCrop(crop, source.width / pixels.width, source) : crop;

  // COVER specs of one aspect ratio and crop form a group; every other spec is a group of its own.
  const groups = new Map<string, ThumbnailSpec[]>();
  specs.forEach((spec, index) => {
    const key = spec.fit === "COVER" && spec.height !== null ? `cover ${spec.width / spec.height} ${JSON.stringify(spec.crop ?? null)}` : `alone ${index}`;
    groups.set(key, [...(groups.get(key) ?? []), spec]);
  });
  const rendered = new Map<ThumbnailSpec, RenderedThumbnail>();
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const [leader, ...followers] = [...group].sort((a, b) => b.width - a.width) as [ThumbnailSpec, ...ThumbnailSpec[]];
      const crop = scaled(leader.crop);
      const first = await renderOne(pixelsInput(source), { ...leader, crop }, jpegEncoder, { position: "attention", size: source });
      rendered.set(leader, { ...first.thumbnail, spec: leader });
      await Promise.all(
        followers.map(async (spec) => {
          const { thumbnail } = await renderOne(pixelsInput(source), { ...spec, crop: first.region ?? crop }, jpegEncoder, { position: "centre" });
          rendered.set(spec, { ...thumbnail, spec });
        }),
      );
    }),
  );
  return specs.map((spec) => rendered.get(spec)!);
}

/**
 * One thumbnail from `input`. For a COVER spec, given the input's `size`, it
 * also returns the region of the input (in its pixels) that the crop kept.
 */
async function renderOne(
  input: Sharp,
  spec: ThumbnailSpec,
  jpegEncoder: JpegEncoder,
  { position = "attention", size }: { position?: "attention" | "centre"; size?: { width: number; height: number } } = {},
): Promise<{ thumbnail: RenderedThumbnail; region?: CropRect }> {
  const region = spec.crop ? input.extract({ left: spec.crop.x, top: spec.crop.y, width: spec.crop.width, height: spec.crop.height }) : input;
  const resized = region.resize({
    width: spec.width,
    height: spec.height ?? undefined,
    fit: sharpFit[spec.fit],
    // Crop towards the most salient region rather than the centre (faces, for avatars).
    ...(spec.fit === "COVER" ? { position } : {}),
    background: { r: 0, g: 0, b: 0, alpha: 0 },
  });
  const { data, info } = await encode(resized, spec.format, jpegEncoder).toBuffer({ resolveWithObject: true });
  const thumbnail = { spec, data, width: info.width, height: info.height };
  if (!size || spec.fit !== "COVER" || spec.height === null || info.cropOffsetLeft === undefined || info.cropOffsetTop === undefined) return { thumbnail };
  // The offsets are in the resized image, negated; map them back to `input`'s pixels.
  const from = spec.crop ?? { x: 0, y: 0, width: size.width, height: size.height };
  const r = Math.max(spec.width / from.width, spec.height / from.height);
  const x = Math.min(from.width - 1, Math.round(Math.abs(info.cropOffsetLeft) / r));
  const y = Math.min(from.height - 1, Math.round(Math.abs(info.cropOffsetTop) / r));
  const kept = {
    x: from.x + x,
    y: from.y + y,
    width: Math.max(1, Math.min(from.width - x, Math.round(spec.width / r))),
    height: Math.max(1, Math.min(from.height - y, Math.round(spec.height / r))),
  };
  return { thumbnail, region: kept };
}

/**
 * A new pipeline over pixels in memory. Not `clone()`: sharp's clone
 * structured-clones its options, the input buffer with them, so each clone of
 * a 2048 × 1536 image would copy 9 MiB on the main thread.
 */
export function pixelsInput(pixels: Pixels): Sharp {
  return sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } });
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
  const { data, info } = await pixelsInput(pixels)
    .resize({ width, height, fit: "fill" })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
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
