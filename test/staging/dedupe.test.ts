// Content-hash dedupe: one user's same bytes are stored once; deletes count references.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdingsOf } from "../../src/db/holdingsQueries.js";
import { graphql, stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { COMMIT_PROFILE, DISCARD } from "../helpers/operations.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

describe("the same bytes staged twice", () => {
  let t: TestServer;
  let photo: Buffer;
  beforeAll(async () => {
    [t, photo] = await Promise.all([startTestServer(), jpeg(500, 400)]);
  });
  afterAll(() => t.stop());

  const media = async () => (await t.files()).filter((file) => file.startsWith("media/"));
  const stage = async (token: string, bytes = photo, filename?: string) => {
    const result = await stageFile(t.graphqlUrl, bytes, { token, ...(filename ? { filename } : {}) });
    expect(result.body.errors).toBeUndefined();
    return result.body.data!.stageImage;
  };

  it("by one user: two staged rows of their own, one set of files, counted once against the quota", async () => {
    const token = await t.token("twice");
    const first = await stage(token, photo, "one.jpg");
    const filesAfterFirst = await media();
    const second = await stage(token, photo, "two.jpg");

    expect(second.id).not.toBe(first.id);
    expect(second.image.id).not.toBe(first.image.id);
    expect(second.image.url).toBe(first.image.url);
    expect(second.image.thumbnails).toEqual(first.image.thumbnails);
    expect(await media()).toEqual(filesAfterFirst);
    const rows = await t.server.database.knex("images").where({ owner_id: "twice" }).orderBy("created_at");
    expect(rows.map((row) => row.original_filename)).toEqual(["one.jpg", "two.jpg"]);
    expect((await holdingsOf(t.server.database.knex, "twice", new Date())).storedBytes).toBe(Number(rows[0].byte_size));
  });

  it("keeps shared files until the last row naming them goes", async () => {
    const token = await t.token("sharer");
    const kept = await stage(token);
    const thrown = await stage(token);
    await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: kept.id } }, token);
    // A size made on demand for one row is shared too.
    await graphql(t.graphqlUrl, `query ($id: ID!) { image(id: $id) { thumbnail(width: 50) { url } } }`, { id: thrown.image.id }, token);

    expect((await graphql(t.graphqlUrl, DISCARD, { id: thrown.id }, token)).body.data).toEqual({ discardStagedImage: true });
    expect((await fetch(kept.image.url)).status).toBe(200);
    for (const thumbnail of kept.image.thumbnails) expect((await fetch(thumbnail.url)).status).toBe(200);

    // Replacing the avatar removes the last row: now the files go.
    const stem = new URL(kept.image.url).pathname.replace(/^\/media\//, "media/").replace(/\..*$/, "");
    expect((await media()).some((file) => file.startsWith(stem))).toBe(true);
    const other = await stage(token, await jpeg(120, 120));
    await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: other.id } }, token);
    expect((await media()).some((file) => file.startsWith(stem))).toBe(false);
  });

  it("by two users: never shared", async () => {
    const mine = await stage(await t.token("alice-dd"));
    const theirs = await stage(await t.token("bob-dd"));
    expect(theirs.image.url).not.toBe(mine.image.url);
    const rows = await t.server.database.knex("images").whereIn("id", [mine.image.id, theirs.image.id]);
    expect(new Set(rows.map((row) => row.storage_key)).size).toBe(2);
  });
});
