import sharp, { type Sharp } from "sharp";
import { encode } from "./encode.js";
import { asDecodeError } from "./decodeError.js";
import type { ThumbnailSpec } from "./ThumbnailSpec.js";

export interface RenderedThumbnail {
  readonly spec: ThumbnailSpec;
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

const sharpFit = { COVER: "cover", CONTAIN: "contain", INSIDE: "inside" } as const;

/**
 * Renders each spec from one decoded source (a normalized original: upright, no
 * metadata). `source` is a file path or a stream of the image's bytes.
 * Thumbnails are small, so each is returned in memory.
 */
export async function renderThumbnails(
  source: string | NodeJS.ReadableStream,
  specs: readonly ThumbnailSpec[],
): Promise<RenderedThumbnail[]> {
  const input: Sharp = typeof source === "string" ? sharp(source) : sharp();
  if (typeof source !== "string") source.pipe(input);
  try {
    return await Promise.all(
      specs.map(async (spec) => {
        const region = spec.crop ? input.clone().extract({ left: spec.crop.x, top: spec.crop.y, width: spec.crop.width, height: spec.crop.height }) : input.clone();
        const resized = region.resize({
          width: spec.width,
          height: spec.height ?? undefined,
          fit: sharpFit[spec.fit],
          // Crop towards the most salient region rather than the centre (faces, for avatars).
          ...(spec.fit === "COVER" ? { position: "attention" } : {}),
          background: { r: 0, g: 0, b: 0, alpha: 0 },
        });
        const { data, info } = await encode(resized, spec.format).toBuffer({ resolveWithObject: true });
        return { spec, data, width: info.width, height: info.height };
      }),
    );
  } catch (error) {
    throw asDecodeError(error);
  }
}
