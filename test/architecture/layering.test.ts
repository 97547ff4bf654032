import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

/** The import rules themselves are dependency-cruiser's (.dependency-cruiser.cjs, `npm run lint:deps` in `npm test`). */
describe("the layering", () => {
  it("reads process.env only in config.ts", async () => {
    const readers: string[] = [];
    for (const entry of await fs.readdir(path.join(root, "src"), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !/\.(ts|js|mjs)$/.test(entry.name)) continue;
      const file = path.relative(root, path.join(entry.parentPath, entry.name));
      if (file === path.join("src", "config.ts")) continue;
      if ((await fs.readFile(path.join(root, file), "utf8")).includes("process.env")) readers.push(file);
    }
    expect(readers).toEqual([]);
  });
});
