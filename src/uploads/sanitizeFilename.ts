const MAX_LENGTH = 255;

/**
 * The client's filename as kept in the database (never used in a path): the
 * last path segment, without control, format (bidi overrides, zero-width) or
 * NUL characters, at most 255 characters. Empty becomes null.
 */
export function sanitizeFilename(name: string | null | undefined): string | null {
  if (!name) return null;
  const base = name.split(/[\\/]/).pop() ?? "";
  const cleaned = base
    .normalize("NFC")
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, "")
    .trim()
    .replace(/^\.+/, "");
  const chars = Array.from(cleaned);
  const limited = chars.length > MAX_LENGTH ? chars.slice(chars.length - MAX_LENGTH).join("") : cleaned;
  return limited || null;
}
