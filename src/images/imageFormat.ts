/** The formats upstage stores and serves; the GraphQL `ImageFormat` enum has the same members. */
export type StoredFormat = "JPEG" | "PNG" | "WEBP" | "AVIF";

export const contentTypeOf: Record<StoredFormat, string> = {
  JPEG: "image/jpeg",
  PNG: "image/png",
  WEBP: "image/webp",
  AVIF: "image/avif",
};

export const extensionOf: Record<StoredFormat, string> = {
  JPEG: "jpg",
  PNG: "png",
  WEBP: "webp",
  AVIF: "avif",
};

/**
 * Input formats accepted, by sharp's name for them, and the format each is
 * stored as. SVG, TIFF, PDF and the rest are refused: SVG is script, the others
 * are not what browsers show as avatars. GIF keeps its first frame only, as PNG.
 */
const storedFormatOfInput: Record<string, StoredFormat> = {
  jpeg: "JPEG",
  png: "PNG",
  webp: "WEBP",
  gif: "PNG",
  avif: "AVIF",
  heif: "JPEG",
};

/** The stored format for a decoded input format, or undefined when the input is not accepted. */
export function storedFormatFor(inputFormat: string | undefined): StoredFormat | undefined {
  return inputFormat === undefined ? undefined : storedFormatOfInput[inputFormat];
}

/**
 * The stored format of a stored content type.
 * @throws Error for a content type upstage never stores.
 */
export function formatOfContentType(contentType: string): StoredFormat {
  const entry = Object.entries(contentTypeOf).find(([, type]) => type === contentType);
  if (!entry) throw new Error(`Not a stored content type: ${contentType}`);
  return entry[0] as StoredFormat;
}
