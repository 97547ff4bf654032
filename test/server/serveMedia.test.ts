import http from "node:http";
import { Readable } from "node:stream";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ByteRange, Storage } from "../../src/storage/Storage.js";
import { graphql, stageFile } from "../helpers/graphqlClient.js";
import { jpeg, scenery } from "../helpers/images.js";
import { DISCARD } from "../helpers/operations.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { waitFor } from "../helpers/waitFor.js";

let t: TestServer;
let url: string;
let size: number;

beforeAll(async () => {
  t = await startTestServer();
  const staged = await stageFile(t.graphqlUrl, await jpeg(300, 300), { token: await t.token("media") });
  url = staged.body.data!["stageImage"].image.url;
  size = staged.body.data!["stageImage"].image.byteSize;
});
afterAll(() => t.stop());

describe("GET /media/…", () => {
  it("serves the stored bytes with the stored type, ETag, immutable caching and nosniff", async () => {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/jpeg");
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
    expect(response.headers.get("etag")).toMatch(/^"[\w-]+"$/);
    expect((await response.arrayBuffer()).byteLength).toBe(size);
  });

  it("answers a matching If-None-Match with 304", async () => {
    const etag = (await fetch(url, { method: "HEAD" })).headers.get("etag")!;
    const response = await fetch(url, { headers: { "if-none-match": etag } });
    expect(response.status).toBe(304);
  });

  it("compares If-None-Match weakly and takes `*`, as RFC 9110 §13.1.2 says", async () => {
    const etag = (await fetch(url, { method: "HEAD" })).headers.get("etag")!;
    for (const header of [`W/${etag}`, `"other", ${etag}`, `"a,b", W/${etag}`, "*"]) {
      expect((await fetch(url, { headers: { "if-none-match": header } })).status, header).toBe(304);
    }
    expect((await fetch(url, { headers: { "if-none-match": '"other"' } })).status).toBe(200);
  });

  it("answers 404 at once for a discarded image, whatever the request form", async () => {
    const token = await t.token("discarder");
    const staged = (await stageFile(t.graphqlUrl, await jpeg(120, 90), { token })).body.data!["stageImage"];
    const gone: string = staged.image.url;
    const etag = (await fetch(gone, { method: "HEAD" })).headers.get("etag")!;
    // Seen once in every form, so that anything remembered would answer next.
    expect((await fetch(gone, { headers: { "if-none-match": etag } })).status).toBe(304);
    expect((await fetch(gone, { headers: { range: "bytes=0-9" } })).status).toBe(206);
    expect((await graphql(t.graphqlUrl, DISCARD, { id: staged.id }, token)).body.data).toEqual({ discardStagedImage: true });
    expect((await fetch(gone)).status).toBe(404);
    expect((await fetch(gone, { method: "HEAD" })).status).toBe(404);
    expect((await fetch(gone, { headers: { range: "bytes=0-9" } })).status).toBe(404);
    expect((await fetch(gone, { headers: { "if-none-match": etag } })).status).toBe(404);
    expect((await fetch(gone, { headers: { "if-none-match": "*" } })).status).toBe(404);
  });

  it("answers 404 at once for a replaced avatar's files and thumbnails, remembered bytes and all", async () => {
    const token = await t.token("replacer");
    const first = (await stageFile(t.graphqlUrl, await jpeg(120, 90), { token })).body.data!["stageImage"];
    const commit = "mutation ($id: ID!) { commitProfile(input: { stagedImageId: $id }) { id } }";
    expect((await graphql(t.graphqlUrl, commit, { id: first.id }, token)).body.errors).toBeUndefined();
    const urls: string[] = [first.image.url, ...first.image.thumbnails.map((th: { url: string }) => th.url)];
    for (const each of urls) expect((await fetch(each)).status).toBe(200);
    const second = (await stageFile(t.graphqlUrl, await jpeg(130, 90), { token })).body.data!["stageImage"];
    expect((await graphql(t.graphqlUrl, commit, { id: second.id }, token)).body.errors).toBeUndefined();
    for (const each of urls) expect((await fetch(each)).status, each).toBe(404);
  });

  it("stops serving an image marked deleted behind its back (another instance, the sweeper's claim) within a second", async () => {
    const staged = (await stageFile(t.graphqlUrl, await jpeg(140, 90), { token: await t.token("elsewhere") })).body.data!["stageImage"];
    const thumbnail: string = staged.image.thumbnails[0].url;
    expect((await fetch(thumbnail)).status).toBe(200);
    if (t.databaseUrl) {
      const db = new pg.Client({ connectionString: t.databaseUrl });
      await db.connect();
      await db.query("update images set status = 'DELETED' where id = $1", [staged.id]);
      await db.end();
    } else {
      await t.server.database.knex("images").where({ id: staged.id }).update({ status: "DELETED" });
    }
    // The files stay (the sweeper removes them later); the answer turns once the remembered one is a second old.
    await waitFor(async () => (await fetch(thumbnail)).status !== 200, "the remembered answer for the thumbnail expires");
    expect((await fetch(thumbnail)).status).toBe(404);
    expect((await fetch(staged.image.url, { method: "HEAD" })).status).toBe(404);
  });

  it("serves a byte range with 206, and an unsatisfiable one with 416", async () => {
    const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
    const partial = await fetch(url, { headers: { range: "bytes=10-19" } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get("content-range")).toBe(`bytes 10-19/${size}`);
    expect(Buffer.from(await partial.arrayBuffer())).toEqual(whole.subarray(10, 20));

    const suffix = await fetch(url, { headers: { range: "bytes=-4" } });
    expect(Buffer.from(await suffix.arrayBuffer())).toEqual(whole.subarray(size - 4));

    const beyond = await fetch(url, { headers: { range: `bytes=${size + 10}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe(`bytes */${size}`);
  });

  it.each([
    "/media/images/2026/01/01/00000000-0000-4000-8000-000000000000.jpg",
    "/media/../package.json",
    "/media/%2e%2e/%2e%2e/package.json",
    "/media/..%2f..%2fpackage.json",
    "/media/images/",
    "/media/.incoming/x",
    "/media/",
  ])("answers %s with 404", async (path) => {
    const response = await rawGet(`${t.url}`, path);
    expect(response.status).toBe(404);
    expect(response.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("refuses writes with 405", async () => {
    expect((await fetch(url, { method: "DELETE" })).status).toBe(405);
  });
});

describe("GET /media/… while the storage cannot answer", () => {
  it("is 503 with Retry-After, never 404 or 500, for a file described before and one never served; and 200 again once it is back", async () => {
    let down = false;
    const unreachable = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9000"), { code: "ECONNREFUSED" });
    const flaky = (storage: Storage): Storage =>
      Object.create(storage, {
        stat: { value: async (key: string) => (down ? Promise.reject(unreachable()) : storage.stat(key)) },
        read: {
          value: (key: string, range?: ByteRange) =>
            down
              ? new Readable({
                  read() {
                    this.destroy(unreachable());
                  },
                })
              : storage.read(key, range),
        },
      });
    const s = await startTestServer({}, { wrapStorage: flaky });
    try {
      const token = await s.token("outage-media");
      // A large one is streamed from the storage on every request; the small one is remembered once served.
      const large = (await stageFile(s.graphqlUrl, await scenery(1600, 1200), { token })).body.data!["stageImage"].image.url;
      const small = (await stageFile(s.graphqlUrl, await jpeg(64, 64), { token })).body.data!["stageImage"].image.url;
      expect((await fetch(large)).status).toBe(200);
      down = true;
      for (const response of [await fetch(large), await fetch(large, { method: "HEAD" }), await fetch(small)]) {
        expect(response.status).toBe(503);
        expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
      }
      down = false;
      expect((await fetch(large)).status).toBe(200);
      expect((await fetch(small)).status).toBe(200);
    } finally {
      await s.stop();
    }
  });
});

/** GET with the path sent exactly as given (fetch would resolve the dot segments first). */
function rawGet(base: string, path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base);
    http
      .get({ hostname, port, path }, (response) => {
        response.resume();
        response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers }));
      })
      .on("error", reject);
  });
}
