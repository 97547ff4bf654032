import sharp, { type Sharp } from "sharp";
import { rgbaToThumbHash } from "thumbhash";
import { asDecodeError } from "./decodeError.js";
import type { FocalPoint } from "./ThumbnailSpec.js";

/** What is learned from a small copy of an image: what a frontend paints first, and where its interest lies. */
export interface ImageSample {
  /** A data: URL of a WebP at most 16 px on a side (a few hundred bytes): scale it up with a blur. */
  readonly placeholder: string;
  /** The dominant colour as `#rrggbb`. */
  readonly dominantColor: string;
  /** The base64 ThumbHash (about 30 bytes): colours, aspect ratio and alpha. */
  readonly thumbhash: string;
  /** The point attention finds most interesting, marked automatic. */
  readonly focus: FocalPoint;
}

const PLACEHOLDER_SIDE = 16;
/** The colour and the focal point are read from a copy this large. */
const SAMPLE_SIDE = 100;
/**
 * ThumbHash keeps a handful of DCT terms (at most 7 per side), so 32 px hold
 * all it reads; from 100 px its encoder cost about 11 ms of the main thread
 * per image (bench B4c), from 32 px about a tenth of that.
 */
const THUMBHASH_SIDE = 32;
/** The share of a side that the attention window keeps when it looks for the point along that side. */
const ATTENTION_WINDOW = 1 / 3;

/**
 * Samples a normalized image (upright, without metadata): a file path, its
 * bytes, a stream of them, or a sharp pipeline (a small copy will do; it is
 * reduced to at most 100 px on a side first).
 * @throws UpstageError UNSUPPORTED_MEDIA_TYPE when the pixels cannot be decoded.
 */
export async function sampleImage(source: string | Buffer | NodeJS.ReadableStream | Sharp): Promise<ImageSample> {
  try {
    const { data, info } = await inputOf(source)
      .resize(SAMPLE_SIDE, SAMPLE_SIDE, { fit: "inside", withoutEnlargement: true })
      .ensureAlpha()
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: 4 as const } };
    const [tiny, small, focus] = await Promise.all([
      sharp(data, raw).resize(PLACEHOLDER_SIDE, PLACEHOLDER_SIDE, { fit: "inside" }).webp({ quality: 50, alphaQuality: 50 }).toBuffer(),
      sharp(data, raw)
        .resize(THUMBHASH_SIDE, THUMBHASH_SIDE, { fit: "inside", withoutEnlargement: true })
        .raw()
        .toBuffer({ resolveWithObject: true }),
      findFocalPoint(data, info.width, info.height),
    ]);
    const { r, g, b } = dominantOf(data);
    return {
      placeholder: `data:image/webp;base64,${tiny.toString("base64")}`,
      dominantColor: `#${[r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("")}`,
      thumbhash: Buffer.from(rgbaToThumbHash(small.info.width, small.info.height, small.data)).toString("base64"),
      focus,
    };
  } catch (error) {
    throw asDecodeError(error);
  }
}

/**
 * The most frequent colour of RGBA pixels, as sharp's `stats().dominant`
 * finds it (a 4096-bin histogram, 16 levels a channel, the winning bin's
 * centre), counted here: on a 100 px sample that is a few thousand pixels,
 * where sharp's own (which also measures entropy and sharpness) spent about
 * 20 ms of a libvips thread. Of bins with equal counts, as a smooth gradient
 * has, the first wins here; sharp's pick among them depends on its threads.
 */
function dominantOf(rgba: Buffer): { r: number; g: number; b: number } {
  const counts = new Uint32Array(4096);
  for (let i = 0; i + 2 < rgba.length; i += 4) counts[((rgba[i]! >> 4) << 8) | ((rgba[i + 1]! >> 4) << 4) | (rgba[i + 2]! >> 4)]! += 1;
  let best = 0;
  for (let bin = 1; bin < counts.length; bin++) if (counts[bin]! > counts[best]!) best = bin;
  return { r: (best >> 8) * 16 + 8, g: ((best >> 4) & 15) * 16 + 8, b: (best & 15) * 16 + 8 };
}

function inputOf(source: string | Buffer | NodeJS.ReadableStream | Sharp): Sharp {
  if (typeof source === "string" || Buffer.isBuffer(source)) return sharp(source);
  if (source instanceof (sharp as unknown as new () => Sharp)) return source as Sharp;
  const input = sharp();
  (source as NodeJS.ReadableStream).pipe(input);
  return input;
}

/**
 * libvips' attention strategy (luminance frequency, skin tones, saturation)
 * moves a window along one side at a time: a third of the width, full height,
 * gives x; a third of the height, full width, gives y. The point is the
 * centre of each window, as a share of the side.
 */
async function findFocalPoint(rgba: Buffer, width: number, height: number): Promise<FocalPoint> {
  const along = async (side: "x" | "y"): Promise<number> => {
    const length = side === "x" ? width : height;
    const window = Math.max(1, Math.round(length * ATTENTION_WINDOW));
    if (window >= length) return 0.5;
    const box = side === "x" ? { width: window, height } : { width, height: window };
    const { info } = await sharp(rgba, { raw: { width, height, channels: 4 } })
      .resize({ ...box, fit: "cover", position: "attention" })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const offset = Math.abs((side === "x" ? info.cropOffsetLeft : info.cropOffsetTop) ?? (length - window) / 2);
    return (offset + window / 2) / length;
  };
  const [x, y] = await Promise.all([along("x"), along("y")]);
  return { x: round(x), y: round(y), auto: true };
}

/** Thousandths: what variant names and the API carry. */
function round(share: number): number {
  return Math.round(Math.min(1, Math.max(0, share)) * 1000) / 1000;
}
