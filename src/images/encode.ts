import type { Sharp } from "sharp";
import type { JpegEncoder } from "../config.js";
import type { StoredFormat } from "./imageFormat.js";

/**
 * JPEG settings per encoder (bench/README.md, "JPEG quality", has the bytes
 * and SSIM of each). libjpeg-turbo with optimised Huffman coding and the
 * Robidoux quantisation table (sharp's table 3) at quality 78 writes files the
 * size of mozjpeg's at quality 82, with an SSIM within 0.001 of them, in a
 * tenth of the CPU. Baseline, not progressive: on the photos measured,
 * progressive scans made files 1–3 % larger and took 1.7× as long to encode.
 * mozjpeg (trellis quantisation, optimised scans) is for teams who would
 * rather pay CPU for bytes. (sharp's libvips links mozjpeg's library, a fork
 * of libjpeg-turbo: without mozjpeg's options it encodes as libjpeg-turbo.)
 */
const jpegOptions = {
  "libjpeg-turbo": { quality: 78, optimiseCoding: true, quantisationTable: 3 },
  mozjpeg: { quality: 82, mozjpeg: true },
} as const;

/** Sets the output encoder for `format`; JPEG has no alpha, so transparent pixels turn white. */
export function encode(image: Sharp, format: StoredFormat, jpegEncoder: JpegEncoder): Sharp {
  switch (format) {
    case "JPEG":
      return image.flatten({ background: "#ffffff" }).jpeg(jpegOptions[jpegEncoder]);
    case "PNG":
      return image.png({ compressionLevel: 8, adaptiveFiltering: true });
    case "WEBP":
      return image.webp({ quality: 80 });
    case "AVIF":
      return image.avif({ quality: 55, effort: 3 });
  }
}
