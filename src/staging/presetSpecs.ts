import type { ThumbnailPreset } from "../config.js";
import type { StoredFormat } from "../images/imageFormat.js";
import type { ThumbnailSpec } from "../images/ThumbnailSpec.js";

/** The preset thumbnails of an image stored as `format`: cover-cropped, in the original's format. */
export function presetSpecs(presets: readonly ThumbnailPreset[], format: StoredFormat): ThumbnailSpec[] {
  return presets.map((p) => ({ width: p.width, height: p.height, fit: "COVER", format }));
}
