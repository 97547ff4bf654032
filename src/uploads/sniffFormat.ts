/** Bytes `sniffFormat` needs to decide. */
export const SNIFF_BYTES = 16;

const ISO_BMFF_BRANDS: Record<string, string> = {
  avif: "heif",
  avis: "heif",
  heic: "heif",
  heix: "heif",
  hevc: "heif",
  hevx: "heif",
  mif1: "heif",
  msf1: "heif",
};

/**
 * The image format named by a file's first bytes (sharp's names: jpeg, png,
 * gif, webp, heif for HEIC and AVIF), or undefined for anything else.
 */
export function sniffFormat(head: Buffer): string | undefined {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "jpeg";
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "png";
  const ascii = head.toString("latin1", 0, Math.min(head.length, SNIFF_BYTES));
  if (ascii.startsWith("GIF87a") || ascii.startsWith("GIF89a")) return "gif";
  if (ascii.startsWith("RIFF") && ascii.slice(8, 12) === "WEBP") return "webp";
  if (ascii.slice(4, 8) === "ftyp") return ISO_BMFF_BRANDS[ascii.slice(8, 12)];
  return undefined;
}
