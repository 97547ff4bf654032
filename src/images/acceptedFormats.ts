// The image formats upstage takes, in one table: the refusals' wording, the
// page's message and its file pickers are all made from it. Plain data (no
// sharp, no Node), so the pages' browser bundle imports it too.

/** Each accepted format: its name as people say it, and its media types (for `<input accept>`). */
const ACCEPTED_FORMATS: readonly { readonly name: string; readonly mediaTypes: readonly string[] }[] = [
  { name: "JPEG", mediaTypes: ["image/jpeg"] },
  { name: "PNG", mediaTypes: ["image/png"] },
  { name: "WebP", mediaTypes: ["image/webp"] },
  { name: "GIF", mediaTypes: ["image/gif"] },
  { name: "AVIF", mediaTypes: ["image/avif"] },
  { name: "HEIC", mediaTypes: ["image/heic", "image/heif"] },
];

/** "JPEG, PNG, WebP, GIF, AVIF or HEIC". */
export const ACCEPTED_FORMATS_IN_WORDS = `${ACCEPTED_FORMATS.slice(0, -1)
  .map((format) => format.name)
  .join(", ")} or ${ACCEPTED_FORMATS.at(-1)!.name}`;

/** Every media type upstage reads (uploadOptions.acceptedFormats). */
export const ACCEPTED_MEDIA_TYPE_LIST: readonly string[] = ACCEPTED_FORMATS.flatMap((format) => format.mediaTypes);

/** The value of a file input's `accept` attribute. */
export const ACCEPTED_MEDIA_TYPES = ACCEPTED_MEDIA_TYPE_LIST.join(",");
