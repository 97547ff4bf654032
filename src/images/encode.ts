import type { Sharp } from "sharp";
import type { StoredFormat } from "./imageFormat.js";

/** Sets the output encoder for `format`; JPEG has no alpha, so transparent pixels turn white. */
export function encode(image: Sharp, format: StoredFormat): Sharp {
  switch (format) {
    case "JPEG":
      return image.flatten({ background: "#ffffff" }).jpeg({ quality: 82, mozjpeg: true });
    case "PNG":
      return image.png({ compressionLevel: 8, adaptiveFiltering: true });
    case "WEBP":
      return image.webp({ quality: 80 });
    case "AVIF":
      return image.avif({ quality: 55, effort: 3 });
  }
}
