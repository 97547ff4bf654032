import { describe, it } from "vitest";

/**
 * `describe(name, body)` when `missing` is undefined. Otherwise the suite
 * stands as one skipped test whose note names what it needs (vitest prints
 * it: `↓ name > skipped [needs …]`), and its hooks never run. For what the
 * other CI pass has by design (a PostgreSQL to share, say).
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

/** A part of the machine a suite needs and this machine lacks, and the one command that gets it. */
export interface MissingPart {
  readonly what: string;
  readonly install: string;
}

/** True under CI (`.ci/run` sets CI=true), where nothing may be skipped for want of a part. */
const underCi = !["", "0", "false"].includes((process.env["CI"] ?? "").toLowerCase());

/**
 * `describe(name, body)` when the machine has the part. When it lacks it, a
 * first test says what is missing and how to get it: skipped on a
 * developer's machine, failed under CI, so that CI never loses this coverage
 * without a word. The suite's own tests are listed as skipped, and its hooks
 * never run.
 */
export function describeWithPart(missing: MissingPart | undefined, name: string, options: { timeout?: number }, body: () => void): void {
  if (missing === undefined) {
    describe(name, options, body);
    return;
  }
  const note = `needs ${missing.what}; get it with: ${missing.install}`;
  describe(name, () => {
    if (underCi) {
      it("has what it needs", () => {
        throw new Error(`CI runs this suite, and this machine lacks a part: ${note}`);
      });
    } else {
      it("skipped", (context) => context.skip(note));
    }
    describe.skip("its tests", body);
  });
}
