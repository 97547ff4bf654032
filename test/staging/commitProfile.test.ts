import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expire } from "../helpers/expire.js";
import { errorCode, graphql, stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { COMMIT_PROFILE, DISCARD, IMAGE, VIEWER } from "../helpers/operations.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

async function stage(token: string, size = 120): Promise<{ id: string; image: { url: string; thumbnails: { url: string }[] } }> {
  const result = await stageFile(t.graphqlUrl, await jpeg(size, size), { token });
  expect(result.body.errors).toBeUndefined();
  return result.body.data!["stageImage"];
}

/** The file behind a media URL, on disk. */
function fileOf(url: string): string {
  return path.join(t.dataDir, "media", new URL(url).pathname.replace(/^\/media\//, ""));
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

describe("commitProfile", () => {
  it("sets the names and the avatar; a reload shows them", async () => {
    const token = await t.token("ada");
    const staged = await stage(token);
    const result = await graphql(
      t.graphqlUrl,
      COMMIT_PROFILE,
      { input: { firstName: "Ada", lastName: "Lovelace", stagedImageId: staged.id } },
      token,
    );
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data!["commitProfile"]).toMatchObject({
      username: "ada",
      firstName: "Ada",
      lastName: "Lovelace",
      avatar: { id: staged.id, url: staged.image.url },
    });

    const viewer = await graphql(t.graphqlUrl, VIEWER, {}, token);
    expect(viewer.body.data!["viewer"]).toMatchObject({ firstName: "Ada", avatar: { id: staged.id } });
  });

  it("leaves out fields that are not sent, and clears a field sent as null", async () => {
    const token = await t.token("grace");
    await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { firstName: "Grace", lastName: "Hopper" } }, token);
    const result = await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { lastName: null } }, token);
    expect(result.body.data!["commitProfile"]).toMatchObject({ firstName: "Grace", lastName: null, avatar: null });
  });

  it("replacing the avatar deletes the old image's files from disk and its row", async () => {
    const token = await t.token("replacer");
    const first = await stage(token);
    await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: first.id } }, token);
    const oldFiles = [first.image.url, ...first.image.thumbnails.map((th) => th.url)].map(fileOf);
    for (const file of oldFiles) expect(await exists(file)).toBe(true);
    // Served once, so the media handler remembers it.
    expect((await fetch(first.image.url)).status).toBe(200);

    const second = await stage(token);
    const result = await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: second.id } }, token);
    expect(result.body.data!["commitProfile"].avatar.id).toBe(second.id);

    for (const file of oldFiles) expect(await exists(file)).toBe(false);
    expect((await fetch(first.image.url)).status).toBe(404);
    expect((await fetch(first.image.url, { method: "HEAD" })).status).toBe(404);
    expect((await graphql(t.graphqlUrl, IMAGE, { id: first.id }, token)).body.data!["image"]).toBeNull();
    expect(await t.server.database.knex("images").where({ id: first.id }).first()).toBeUndefined();
    expect(await exists(fileOf(second.image.url))).toBe(true);
  });

  it("committing the same staged image twice is not an error", async () => {
    const token = await t.token("twice");
    const staged = await stage(token);
    const once = await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: staged.id } }, token);
    const again = await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: staged.id } }, token);
    expect(once.body.errors).toBeUndefined();
    expect(again.body.errors).toBeUndefined();
    expect(again.body.data!["commitProfile"].avatar.id).toBe(staged.id);
    expect((await fetch(staged.image.url)).status).toBe(200);
  });

  it("refuses another user's staged image with FORBIDDEN and changes nothing", async () => {
    const owner = await t.token("owner");
    const thief = await t.token("thief");
    const staged = await stage(owner);
    const result = await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { firstName: "T", stagedImageId: staged.id } }, thief);
    expect(errorCode(result)).toBe("FORBIDDEN");
    const viewer = await graphql(t.graphqlUrl, VIEWER, {}, thief);
    expect(viewer.body.data!["viewer"]).toMatchObject({ firstName: null, avatar: null });
    expect((await graphql(t.graphqlUrl, IMAGE, { id: staged.id }, thief)).body.data!["image"]).toBeNull();
  });

  it("refuses an unknown id with NOT_FOUND", async () => {
    const token = await t.token("nobody");
    const result = await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: "00000000-0000-4000-8000-000000000000" } }, token);
    expect(errorCode(result)).toBe("NOT_FOUND");
  });

  it("refuses an expired staged image with STAGED_IMAGE_EXPIRED, and the sweeper removes it", async () => {
    const token = await t.token("late");
    const staged = await stage(token);
    await expire(t.server.database.knex, "images", staged.id);

    const result = await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { firstName: "Late", stagedImageId: staged.id } }, token);
    expect(errorCode(result)).toBe("STAGED_IMAGE_EXPIRED");
    expect((await graphql(t.graphqlUrl, VIEWER, {}, token)).body.data!["viewer"].firstName).toBeNull();

    const files = [staged.image.url, ...staged.image.thumbnails.map((th) => th.url)].map(fileOf);
    await t.server.sweeper.sweep();
    for (const file of files) expect(await exists(file)).toBe(false);
    expect(await t.server.database.knex("images").where({ id: staged.id }).first()).toBeUndefined();
    expect(await t.server.database.knex("thumbnails").where({ image_id: staged.id })).toEqual([]);

    // Gone, but remembered: a commit after the sweep still hears why, and only its owner does.
    const late = await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: staged.id } }, token);
    expect(errorCode(late)).toBe("STAGED_IMAGE_EXPIRED");
    const stranger = await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: staged.id } }, await t.token("stranger"));
    expect(errorCode(stranger)).toBe("NOT_FOUND");
  });

  it("the sweeper leaves staged images within their time and committed ones alone", async () => {
    const token = await t.token("keeper");
    const kept = await stage(token);
    const committed = await stage(token);
    await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: committed.id } }, token);
    await t.server.database
      .knex("images")
      .where({ id: committed.id })
      .update({ expires_at: new Date(0) });
    await t.server.sweeper.sweep();
    expect((await fetch(kept.image.url)).status).toBe(200);
    expect((await fetch(committed.image.url)).status).toBe(200);
  });
});

describe("discardStagedImage", () => {
  it("removes the staged image and its files", async () => {
    const token = await t.token("discarder");
    const staged = await stage(token);
    const result = await graphql(t.graphqlUrl, DISCARD, { id: staged.id }, token);
    expect(result.body.data!["discardStagedImage"]).toBe(true);
    expect(await exists(fileOf(staged.image.url))).toBe(false);
    expect((await fetch(staged.image.thumbnails[0]!.url)).status).toBe(404);
    expect(errorCode(await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: staged.id } }, token))).toBe("NOT_FOUND");
  });

  it("refuses another user's staged image with FORBIDDEN and keeps it", async () => {
    const owner = await t.token("keeps");
    const other = await t.token("meddler");
    const staged = await stage(owner);
    expect(errorCode(await graphql(t.graphqlUrl, DISCARD, { id: staged.id }, other))).toBe("FORBIDDEN");
    expect((await fetch(staged.image.url)).status).toBe(200);
  });

  it("refuses a committed avatar with BAD_USER_INPUT", async () => {
    const token = await t.token("committed");
    const staged = await stage(token);
    await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: staged.id } }, token);
    expect(errorCode(await graphql(t.graphqlUrl, DISCARD, { id: staged.id }, token))).toBe("BAD_USER_INPUT");
    expect((await fetch(staged.image.url)).status).toBe(200);
  });
});
