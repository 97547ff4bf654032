import { describe, it } from "vitest";

/**
 * `describe(name, body)` when `missing` is undefined. Otherwise the suite
 * stands as one skipped test whose note names what it needs (vitest prints
 * it: `↓ name > skipped [needs …]`), and its hooks never run.
 */
export function describeWhen(missing: string | undefined, name: string, options: { timeout?: number }, body: () => void): void {
  if (missing === undefined) {
    describe(name, options, body);
    return;
  }
  describe(name, () => {
    it("skipped", (context) => context.skip(`needs ${missing}`));
  });
}
