import { contentTypeOf, extensionOf, type StoredFormat } from "../images/imageFormat.js";

const byExtension = new Map(Object.entries(extensionOf).map(([format, extension]) => [extension, contentTypeOf[format as StoredFormat]]));

/** The content type of a stored object, from its key's last extension (`….200x200.cover.webp` → image/webp). */
export function contentTypeOfKey(key: string): string {
  const extension = /\.([a-z0-9]+)$/.exec(key)?.[1];
  return (extension && byExtension.get(extension)) || "application/octet-stream";
}
