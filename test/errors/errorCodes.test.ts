import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCode, httpStatusOf } from "../../src/errors/ErrorCode.js";

const root = path.resolve(import.meta.dirname, "../..");

describe("the error codes of the contract", () => {
  it("are each in docs/api.md's table, with the HTTP status upstage answers them with", async () => {
    const doc = await fs.readFile(path.join(root, "docs", "api.md"), "utf8");
    const documented = new Map(Array.from(doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm), (row) => [row[1]!, Number(row[2])]));
    const expected = new Map(Object.values(ErrorCode).map((code) => [code as string, httpStatusOf[code]]));
    expect(documented).toEqual(expected);
  });
});
