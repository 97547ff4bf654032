import type { ThumbnailPreset } from "../config.js";
import { refusals } from "../errors/refusals.js";
import type { StoredFormat } from "../images/imageFormat.js";
import type { ThumbnailSpec } from "../images/ThumbnailSpec.js";

/**
 * What is made for an asked size, so that on-demand renditions stay few:
 * - a preset size is answered as it is;
 * - any other width (and height, when one is given) snaps up to the next
 *   RENDITION_WIDTHS step (THUMBNAIL_MAX_SIZE above the last);
 * - nothing is larger than the source (the original, or its crop): a box that
 *   would upscale is shrunk, its shape kept, to fit the source.
 * Asking for 1 to 1024 pixels thus makes at most one file per step, fit and
 * format, and the per-image cap (evictRenditions) bounds even those.
 */
export function snapRendition(
  spec: ThumbnailSpec,
  source: { readonly width: number; readonly height: number },
  options: {
    readonly presets: readonly { readonly width: number; readonly height: number }[];
    readonly renditions: { readonly widths: readonly number[] };
    readonly thumbnailMaxSize: number;
  },
): ThumbnailSpec {
  if (spec.fit === "COVER" && options.presets.some((preset) => preset.width === spec.width && preset.height === spec.height)) return spec;
  const step = (value: number) => options.renditions.widths.find((width) => width >= value) ?? options.thumbnailMaxSize;
  let width = step(spec.width);
  let height = spec.height === null ? null : step(spec.height);
  const scale = Math.min(1, source.width / width, height === null ? 1 : source.height / height);
  if (scale < 1) {
    width = Math.max(1, Math.round(width * scale));
    height = height === null ? null : Math.max(1, Math.round(height * scale));
  }
  return { ...spec, width, height };
}

/**
 * New on-demand renditions per user and minute (RENDITIONS_PER_MINUTE), on
 * this instance: a loop of queries asking for new sizes is RATE_LIMITED
 * before it costs any work; sizes made before are lookups and never count.
 */
export function createRenderBudget(perMinute: number, now: () => number = Date.now) {
  /** Each user's render times in the last minute, oldest first. */
  const spent = new Map<string, number[]>();
  return {
    /** Takes `count` renders for `userId`, or throws RATE_LIMITED and takes none. */
    take(userId: string, count: number): void {
      const since = now() - 60_000;
      const recent = (spent.get(userId) ?? []).filter((at) => at > since);
      if (recent.length + count > perMinute) {
        spent.set(userId, recent);
        throw refusals.tooManyNewSizes(perMinute);
      }
      spent.set(userId, [...recent, ...Array.from({ length: count }, () => now())]);
      // Users with nothing in the last minute are forgotten, so the map stays as small as the active users.
      if (spent.size > 10_000) for (const [user, times] of spent) if (times.every((at) => at <= since)) spent.delete(user);
    },
  };
}

export type RenderBudget = ReturnType<typeof createRenderBudget>;

/** The preset thumbnails of an image stored as `format`: cover-cropped, in the original's format. */
export function presetSpecs(presets: readonly ThumbnailPreset[], format: StoredFormat): ThumbnailSpec[] {
  return presets.map((p) => ({ width: p.width, height: p.height, fit: "COVER", format }));
}
