import { Writable } from "node:stream";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jpeg } from "../helpers/images.js";
import { metricValue } from "../helpers/metricValue.js";
import { fuzzRequests, REFUSAL_CODES, sendFuzzRequest } from "../helpers/multipartFuzz.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

/**
 * Property: whatever multipart request a signed-in client sends (parts in any
 * order, duplicated, unknown or unnamed fields and files, odd boundaries and
 * part headers, any `map`, a body cut anywhere, a client that leaves), the
 * server stays up, answers a 4xx with a contract code (or stages the image,
 * for a request that is in fact valid) unless the client left, and leaves no
 * scratch file, no row without an answer, and no upload slot taken.
 *
 * `npm test` runs FUZZ_RUNS (150) cases from FUZZ_SEED (fixed); `npm run fuzz`
 * runs a long campaign from a random seed. A failure prints its seed and path
 * (fast-check), to replay with FUZZ_SEED=… FUZZ_PATH=….
 */
const runs = Number(process.env["FUZZ_RUNS"] ?? 150);
const seed = Number(process.env["FUZZ_SEED"] ?? 20261202);
const path = process.env["FUZZ_PATH"];

let t: TestServer;
let token: string;
let image: Buffer;

/** `/graphql` requests the server is done with: its "request" log line is written once the handler has finished. */
let handled = 0;
let onHandled: (() => void) | undefined;
const log = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.includes('"msg":"request"') && line.includes('"path":"/graphql"')) handled += 1;
    }
    onHandled?.();
    done();
  },
});

beforeAll(async () => {
  // Staged images must outlive a long campaign (`npm run fuzz` runs for half an hour): the rows are counted.
  t = await startTestServer(
    {
      MAX_FILE_SIZE: String(64 * 1024),
      UPLOAD_IDLE_TIMEOUT: "5",
      LOG_LEVEL: "info",
      STAGE_TTL: "604800",
      SWEEP_INTERVAL: "86400",
      QUOTA_BYTES: String(10 * 1024 ** 3),
    },
    { logDestination: log },
  );
  token = await t.token("fuzzer");
  image = await jpeg(16, 16);
});
afterAll(() => t?.stop());

/** Waits until the server is done with the `count`th request. */
function handledCount(count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server is not done with request ${count} 15 s after it ended`)), 15_000);
    onHandled = () => {
      if (handled < count) return;
      clearTimeout(timer);
      onHandled = undefined;
      resolve();
    };
    onHandled();
  });
}

const activeUploads = () => metricValue(t.url, "upstage_active_uploads");

describe("multipart intake under fuzzing", () => {
  it(`survives ${runs} random requests (seed ${seed})`, { timeout: Math.max(120_000, runs * 1_000) }, async () => {
    console.info(`multipart fuzz: ${runs} runs, seed ${seed}`);
    let staged = 0;
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fuzzRequests, async (request) => {
        const outcome = await sendFuzzRequest(t.graphqlUrl, request, image, token);
        sent += 1;
        if (outcome.status === undefined) {
          // No answer is fine only for a client that left.
          if (!outcome.clientLeft) throw new Error(`no answer to a complete request: ${outcome.error?.message}`);
        } else if (outcome.status === 200) {
          // A valid operation: the image staged, or (a query sent as multipart) its data.
          expect(outcome.body?.errors, JSON.stringify(outcome.body)).toBeUndefined();
          expect(outcome.body?.data, JSON.stringify(outcome.body)).toBeTruthy();
          if (outcome.body.data.stageImage) staged += 1;
        } else {
          expect(outcome.status, JSON.stringify(outcome.body)).toBeGreaterThanOrEqual(400);
          expect(outcome.status, JSON.stringify(outcome.body)).toBeLessThan(500);
          const code = outcome.body?.errors?.[0]?.extensions?.code;
          expect(REFUSAL_CODES.has(code), `code ${code} in ${JSON.stringify(outcome.body)}`).toBe(true);
        }
        await handledCount(sent);
        // Its upload slot is free again.
        expect(await activeUploads()).toBe(0);
        expect(
          (await t.files()).filter((f) => f.startsWith("tmp/")),
          JSON.stringify(outcome),
        ).toEqual([]);
        // A client that left after its image was staged leaves a row nobody heard of: allowed, and it expires.
        const rows = Number((await t.server.database.knex("images").count({ n: "*" }))[0]!.n);
        if (!outcome.clientLeft) expect(rows).toBe(staged);
        else staged = rows;
      }),
      { numRuns: runs, seed, ...(path ? { path } : {}), endOnFailure: true },
    );
    // Still up, and still staging.
    const health = await fetch(`${t.url}/healthz`);
    expect(health.status).toBe(200);
    // Every stored file has its row.
    const keys = new Set(
      [
        ...(await t.server.database.knex("images").pluck("storage_key")),
        ...(await t.server.database.knex("thumbnails").pluck("storage_key")),
      ].map((k) => `media/${k}`),
    );
    expect((await t.files()).filter((f) => f.startsWith("media/") && !keys.has(f))).toEqual([]);
  });
});
