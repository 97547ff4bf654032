// Several files at once with the client helper, in Node, against a real server.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type OverallProgress, stageImagesWithProgress, type UploadProgress, UpstageRequestError } from "../../src/client/index.js";
import { jpeg } from "../helpers/images.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

describe("stageImagesWithProgress", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.stop());

  it("stages each file as its own upload over one WebSocket; a refused and a cancelled file do not stop the rest", async () => {
    const files = [
      new File([await jpeg(300, 200)], "a.jpg", { type: "image/jpeg" }),
      new File([await jpeg(310, 200)], "b.jpg", { type: "image/jpeg" }),
      new File([Buffer.from("%PDF-1.4 not an image at all")], "c.jpg", { type: "image/jpeg" }),
      new File([await jpeg(320, 200)], "d.jpg", { type: "image/jpeg" }),
      new File([await jpeg(330, 200)], "e.jpg", { type: "image/jpeg" }),
    ];
    const cancel = new AbortController();
    cancel.abort();
    let sockets = 0;
    class CountedWebSocket extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        sockets++;
      }
    }
    const events = new Map<number, UploadProgress[]>();
    const overall: OverallProgress[] = [];
    /** Each file's outcome as it settled: the order files finished in, not their index order. */
    const settled: [number, string, number][] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const results = await stageImagesWithProgress(files, {
      endpoint: t.graphqlUrl,
      token: await t.token("many"),
      webSocketImpl: CountedWebSocket,
      concurrency: 2,
      signals: [undefined, undefined, undefined, cancel.signal],
      fetch: async (...args) => {
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        try {
          return await fetch(...args);
        } finally {
          inFlight--;
        }
      },
      onProgress: (index, event) => events.set(index, [...(events.get(index) ?? []), event]),
      onOverall: (progress) => overall.push(progress),
      onSettled: (index, result) => settled.push([index, result.status, overall.length]),
    });

    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "rejected", "fulfilled"]);
    const refused = (results[2] as PromiseRejectedResult).reason;
    expect(refused).toBeInstanceOf(UpstageRequestError);
    expect((refused as UpstageRequestError).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect((results[3] as PromiseRejectedResult).reason.name).toBe("AbortError");

    // Each file had its own uploadId and its own events, ending as it should.
    const ids = [0, 1, 2, 4].map((i) => new Set(events.get(i)!.map((e) => e.uploadId)));
    for (const set of ids) expect(set.size).toBe(1);
    expect(new Set(ids.map((set) => [...set][0])).size).toBe(4);
    for (const i of [0, 1, 4]) expect(events.get(i)!.at(-1)!.phase).toBe("READY");
    expect(events.get(2)!.at(-1)!.phase).toBe("FAILED");
    expect(events.has(3)).toBe(false);

    // Each outcome is told once, as soon as it is known, and is the one returned.
    expect(settled.map(([index, status]) => [index, status]).sort()).toEqual(results.map((r, index) => [index, r.status]).sort());
    expect(Math.min(...settled.map(([, , reportsBefore]) => reportsBefore))).toBeLessThan(overall.length - 1);

    expect(sockets).toBe(1);
    expect(mostInFlight).toBe(2);
    const total = files.reduce((sum, f) => sum + f.size, 0);
    expect(overall.at(-1)).toMatchObject({ done: 3, failed: 2, bytesTotal: total });
    for (let i = 1; i < overall.length; i++) expect(overall[i]!.bytesReceived).toBeGreaterThanOrEqual(overall[i - 1]!.bytesReceived);
    const staged = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.id] : []));
    expect(await t.server.database.knex("images").whereIn("id", staged)).toHaveLength(3);
  });
});
