// What a picture paints before its bytes arrive: the dominant colour at once,
// its ThumbHash (decoded in the page, about 30 bytes) over it.
import { thumbHashToDataURL } from "thumbhash";

/** A CSS `background` for an image still loading: the ThumbHash, stretched over the dominant colour. */
export function thumbhashBackground(image: { readonly thumbhash: string; readonly dominantColor?: string | null }): string {
  const bytes = Uint8Array.from(atob(image.thumbhash), (c) => c.charCodeAt(0));
  return `url("${thumbHashToDataURL(bytes)}") center / 100% 100% no-repeat ${image.dominantColor ?? ""}`.trim();
}
