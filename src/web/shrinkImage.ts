export interface Shrunk {
  /** What to send: a smaller re-encoding, or the original when that would not be smaller. */
  readonly file: File;
  readonly savedBytes: number;
  readonly width: number;
  readonly height: number;
}

/** Formats the browser decodes and re-encodes as a still image without losing anything that matters. */
const SHRINKABLE = new Set(["image/jpeg", "image/png", "image/webp"]);

/**
 * Scales a photo so its longest side is at most `maxSide`, in the browser,
 * before it crosses the network: a 12 MP phone photo goes as a few hundred KB.
 * EXIF orientation is applied while decoding; the re-encoding carries no
 * metadata. GIFs (animation) and anything already small go as they are.
 */
export async function shrinkImage(file: File, maxSide: number): Promise<Shrunk> {
  if (!SHRINKABLE.has(file.type)) return { file, savedBytes: 0, width: 0, height: 0 };
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  try {
    const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
    if (scale === 1) return { file, savedBytes: 0, width: bitmap.width, height: bitmap.height };
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext("2d");
    if (!context) return { file, savedBytes: 0, width: bitmap.width, height: bitmap.height };
    context.imageSmoothingQuality = "high";
    context.drawImage(bitmap, 0, 0, width, height);
    const type = file.type === "image/png" ? "image/png" : "image/jpeg";
    const blob = await canvas.convertToBlob({ type, quality: 0.9 });
    if (blob.size >= file.size) return { file, savedBytes: 0, width: bitmap.width, height: bitmap.height };
    const name = file.name.replace(/\.[^.]*$/, "") + (type === "image/png" ? ".png" : ".jpg");
    return { file: new File([blob], name, { type }), savedBytes: file.size - blob.size, width, height };
  } finally {
    bitmap.close();
  }
}
