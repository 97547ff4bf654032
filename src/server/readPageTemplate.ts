import fs from "node:fs/promises";

/** `<!-- include pageHead.html -->` on a line of its own. */
const INCLUDE = /<!-- include ([\w-]+\.html) -->\n?/g;

/**
 * A page's HTML template from `dir`, each `<!-- include NAME.html -->` replaced
 * by that file of the same folder: the parts the pages share (the head and
 * its common styles) are written once. An included file includes nothing.
 */
export async function readPageTemplate(dir: URL, file: string): Promise<string> {
  const template = await fs.readFile(new URL(file, dir), "utf8");
  const names = [...new Set(Array.from(template.matchAll(INCLUDE), (match) => match[1]!))];
  const parts = new Map(await Promise.all(names.map(async (name) => [name, await fs.readFile(new URL(name, dir), "utf8")] as const)));
  return template.replace(INCLUDE, (_, name: string) => parts.get(name)!);
}
