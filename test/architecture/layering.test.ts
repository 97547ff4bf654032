import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

/** The project's source files, as paths from the repository's root, with their text. */
async function sourceFiles(): Promise<{ file: string; text: string }[]> {
  const files: { file: string; text: string }[] = [];
  for (const entry of await fs.readdir(path.join(root, "src"), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(ts|js|mjs)$/.test(entry.name)) continue;
    const file = path.relative(root, path.join(entry.parentPath, entry.name));
    files.push({ file, text: await fs.readFile(path.join(root, file), "utf8") });
  }
  return files;
}

/** The import rules themselves are dependency-cruiser's (.dependency-cruiser.cjs, `npm run lint:deps` in `npm test`). */
describe("the layering", () => {
  it("reads process.env only in config.ts", async () => {
    const readers = (await sourceFiles()).filter(
      ({ file, text }) => file !== path.join("src", "config.ts") && text.includes("process.env"),
    );
    expect(readers.map(({ file }) => file)).toEqual([]);
  });

  it("words every refusal in errors/refusals.ts, the one table of codes and words", async () => {
    const writers = (await sourceFiles()).filter(
      ({ file, text }) => !file.startsWith(path.join("src", "errors")) && /new UpstageError\(/.test(text),
    );
    expect(writers.map(({ file }) => file)).toEqual([]);
  });
});
