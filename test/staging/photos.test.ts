import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expire } from "../helpers/expire.js";
import { errorCode, graphql, stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { COMMIT_PROFILE, VIEWER } from "../helpers/operations.js";
import { ADD_PHOTOS, DELETE_IMAGE, DELETE_PHOTO, IMAGES, PHOTOS, STAGED_IMAGES, UPDATE_PHOTO } from "../helpers/photoOperations.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ MAX_PHOTOS_PER_USER: "6", MAX_STAGED_PER_USER: "8" });
});
afterAll(() => t.stop());

interface Staged {
  id: string;
  image: { url: string; thumbnails: { url: string }[] };
}

/** Sizes differ, so each file has its own bytes (no dedupe) unless asked. */
let nextSize = 90;
async function stage(token: string, bytes?: Buffer): Promise<Staged> {
  const size = nextSize++;
  const result = await stageFile(t.graphqlUrl, bytes ?? (await jpeg(size, size)), { token });
  expect(result.body.errors).toBeUndefined();
  return result.body.data!["stageImage"];
}

/** The files behind a staged image's URLs, on disk. */
function filesOf(staged: Staged): string[] {
  return [staged.image.url, ...staged.image.thumbnails.map((th) => th.url)].map((url) =>
    path.join(t.dataDir, "media", new URL(url).pathname.replace(/^\/media\//, "")),
  );
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

async function add(token: string, photos: { stagedImageId: string; caption?: string | null }[]) {
  return graphql(t.graphqlUrl, ADD_PHOTOS, { input: { photos } }, token);
}

async function photosOf(token: string, userId: string, variables: { first?: number; after?: string | null } = {}) {
  const result = await graphql(t.graphqlUrl, PHOTOS, { id: userId, ...variables }, token);
  return result;
}

async function captions(token: string, userId: string): Promise<(string | null)[]> {
  const result = await photosOf(token, userId, { first: 100 });
  expect(result.body.errors).toBeUndefined();
  const edges = result.body.data!["user"].photos.edges as { node: { caption: string | null; position: number } }[];
  expect(edges.map((e) => e.node.position)).toEqual(edges.map((_, i) => i));
  return edges.map((e) => e.node.caption);
}

describe("addPhotos", () => {
  it("appends staged images as photos in order, and pages them with opaque cursors", async () => {
    const token = await t.token("pia");
    const staged = [await stage(token), await stage(token), await stage(token)];
    const result = await add(
      token,
      staged.map((s, i) => ({ stagedImageId: s.id, caption: `p${i}` })),
    );
    expect(result.body.errors).toBeUndefined();
    expect(
      result.body.data!["addPhotos"].map((p: { position: number; caption: string; image: { id: string } }) => [
        p.position,
        p.caption,
        p.image.id,
      ]),
    ).toEqual(staged.map((s, i) => [i, `p${i}`, s.id]));
    const more = [await stage(token), await stage(token)];
    await add(
      token,
      more.map((s) => ({ stagedImageId: s.id })),
    );
    expect(await captions(token, "pia")).toEqual(["p0", "p1", "p2", null, null]);

    const first = await photosOf(token, "pia", { first: 2 });
    const page1 = first.body.data!["user"].photos;
    expect(page1.totalCount).toBe(5);
    expect(page1.edges).toHaveLength(2);
    expect(page1.pageInfo).toMatchObject({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: page1.edges[0].cursor,
      endCursor: page1.edges[1].cursor,
    });
    const page2 = (await photosOf(token, "pia", { first: 2, after: page1.pageInfo.endCursor })).body.data!["user"].photos;
    expect(page2.edges.map((e: { node: { caption: string } }) => e.node.caption)).toEqual(["p2", null]);
    expect(page2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const page3 = (await photosOf(token, "pia", { first: 2, after: page2.pageInfo.endCursor })).body.data!["user"].photos;
    expect(page3.edges).toHaveLength(1);
    expect(page3.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const past = (await photosOf(token, "pia", { first: 2, after: page3.pageInfo.endCursor })).body.data!["user"].photos;
    expect(past).toMatchObject({ edges: [], pageInfo: { hasNextPage: false, endCursor: null, startCursor: null } });

    // Another signed-in user sees the photos; committed images are public to them.
    const other = await t.token("pia-friend");
    expect((await photosOf(other, "pia")).body.data!["user"].photos.totalCount).toBe(5);
    // The staged images are committed now: none is left to list.
    expect((await graphql(t.graphqlUrl, STAGED_IMAGES, {}, token)).body.data!["stagedImages"]).toEqual([]);
  });

  it("goes on after the photo a cursor names, wherever it is now: a photo deleted before it skips none", async () => {
    const token = await t.token("leafer");
    const staged = [await stage(token), await stage(token), await stage(token), await stage(token), await stage(token)];
    const added = (
      await add(
        token,
        staged.map((s, i) => ({ stagedImageId: s.id, caption: `l${i}` })),
      )
    ).body.data!["addPhotos"];
    const page1 = (await photosOf(token, "leafer", { first: 2 })).body.data!["user"].photos;
    expect(page1.edges.map((e: { node: { caption: string } }) => e.node.caption)).toEqual(["l0", "l1"]);

    // The first photo goes: the others move up, and the page still goes on after l1.
    expect((await graphql(t.graphqlUrl, DELETE_PHOTO, { id: added[0].id }, token)).body.errors).toBeUndefined();
    const page2 = (await photosOf(token, "leafer", { first: 2, after: page1.pageInfo.endCursor })).body.data!["user"].photos;
    expect(page2.edges.map((e: { node: { caption: string } }) => e.node.caption)).toEqual(["l2", "l3"]);
    expect(page2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });

    // When the cursor's photo itself is gone, the page starts at the position it had.
    expect((await graphql(t.graphqlUrl, DELETE_PHOTO, { id: added[2].id }, token)).body.errors).toBeUndefined();
    const fromGone = (await photosOf(token, "leafer", { first: 2, after: page2.edges[0].cursor })).body.data!["user"].photos;
    expect(fromGone.edges.map((e: { node: { caption: string } }) => e.node.caption)).toEqual(["l3", "l4"]);
  });

  it("refuses page sizes outside 1..100 and cursors it did not give, with BAD_USER_INPUT", async () => {
    const token = await t.token("pager");
    for (const first of [0, -1, 101]) expect(errorCode(await photosOf(token, "pager", { first }))).toBe("BAD_USER_INPUT");
    const imageCursor = Buffer.from(
      JSON.stringify(["images", ["2026-01-01T00:00:00.000000Z", "00000000-0000-0000-0000-000000000000"]]),
    ).toString("base64url");
    for (const after of ["nonsense", "bm90IGpzb24", "", "x".repeat(600), Buffer.from('["photos",-1]').toString("base64url"), imageCursor]) {
      const result = await photosOf(token, "pager", { after });
      expect(errorCode(result), after).toBe("BAD_USER_INPUT");
    }
  });

  it("is all or none: one bad id leaves every staged image staged and no photo", async () => {
    const token = await t.token("allornone");
    const mine = [await stage(token), await stage(token)];
    const someoneElses = await stage(await t.token("stranger"));
    const avatar = await stage(token);
    await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: avatar.id } }, token);

    const cases: [string, { stagedImageId: string }[]][] = [
      ["FORBIDDEN", [{ stagedImageId: mine[0]!.id }, { stagedImageId: someoneElses.id }]],
      ["BAD_USER_INPUT", [{ stagedImageId: mine[0]!.id }, { stagedImageId: mine[0]!.id }]],
      ["BAD_USER_INPUT", [{ stagedImageId: mine[0]!.id }, { stagedImageId: avatar.id }]],
      ["NOT_FOUND", [{ stagedImageId: mine[0]!.id }, { stagedImageId: "00000000-0000-4000-8000-000000000000" }]],
      ["BAD_USER_INPUT", [{ stagedImageId: mine[0]!.id }, { stagedImageId: "not-an-id" }]],
      ["BAD_USER_INPUT", [{ stagedImageId: mine[0]!.id, caption: "a\u0000b" } as { stagedImageId: string }]],
      ["BAD_USER_INPUT", [{ stagedImageId: mine[0]!.id, caption: "x".repeat(501) } as { stagedImageId: string }]],
    ];
    for (const [code, photos] of cases) {
      const result = await add(token, photos);
      expect(errorCode(result), JSON.stringify(photos)).toBe(code);
    }
    expect(await captions(token, "allornone")).toEqual([]);
    const staged = (await graphql(t.graphqlUrl, STAGED_IMAGES, {}, token)).body.data!["stagedImages"] as { id: string }[];
    expect(staged.map((s) => s.id).sort()).toEqual(mine.map((s) => s.id).sort());

    // A photo's image is committed: it cannot be added again, nor become the avatar.
    expect((await add(token, [{ stagedImageId: mine[0]!.id }])).body.errors).toBeUndefined();
    expect(errorCode(await add(token, [{ stagedImageId: mine[0]!.id }]))).toBe("BAD_USER_INPUT");
    expect(errorCode(await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: mine[0]!.id } }, token))).toBe("BAD_USER_INPUT");
  });

  it("refuses an expired staged image with STAGED_IMAGE_EXPIRED", async () => {
    const token = await t.token("late");
    const staged = await stage(token);
    await expire(t.server.database.knex, "images", staged.id);
    expect(errorCode(await add(token, [{ stagedImageId: staged.id }]))).toBe("STAGED_IMAGE_EXPIRED");
    // And once the sweeper has removed it.
    await t.server.sweeper.sweep();
    expect(errorCode(await add(token, [{ stagedImageId: staged.id }]))).toBe("STAGED_IMAGE_EXPIRED");
  });

  it("stops at MAX_PHOTOS_PER_USER with QUOTA_EXCEEDED, adding none of the call", async () => {
    const token = await t.token("collector");
    const first = await Promise.all([1, 2, 3, 4].map(() => stage(token)));
    expect(
      (
        await add(
          token,
          first.map((s) => ({ stagedImageId: s.id })),
        )
      ).body.errors,
    ).toBeUndefined();
    const next = [await stage(token), await stage(token), await stage(token)];
    const over = await add(
      token,
      next.map((s) => ({ stagedImageId: s.id })),
    );
    expect(errorCode(over)).toBe("QUOTA_EXCEEDED");
    expect(over.body.errors![0]!.message).toMatch(/6/);
    expect(await captions(token, "collector")).toHaveLength(4);
    expect(
      (
        await add(
          token,
          next.slice(0, 2).map((s) => ({ stagedImageId: s.id })),
        )
      ).body.errors,
    ).toBeUndefined();
  });
});

describe("stagedImages and MAX_STAGED_PER_USER", () => {
  it("lists the viewer's staged images newest first, and refuses a staged image past the cap before reading it", async () => {
    const token = await t.token("hoarder");
    const staged: Staged[] = [];
    const firstBytes = await jpeg(60, 60);
    staged.push(await stage(token, firstBytes));
    for (let i = 1; i < 8; i++) staged.push(await stage(token));
    const listed = (await graphql(t.graphqlUrl, STAGED_IMAGES, {}, token)).body.data!["stagedImages"] as {
      id: string;
      expiresAt: string;
    }[];
    expect(listed.map((s) => s.id)).toEqual(staged.map((s) => s.id).reverse());
    expect(listed.every((s) => Date.parse(s.expiresAt) > Date.now())).toBe(true);

    const before = await t.files();
    const refused = await stageFile(t.graphqlUrl, await jpeg(77, 77), { token });
    expect(errorCode(refused)).toBe("QUOTA_EXCEEDED");
    expect(refused.body.errors![0]!.message).toMatch(/MAX_STAGED_PER_USER/);
    // Same bytes as one already staged (dedupe shares its files) is capped too.
    expect(errorCode(await stageFile(t.graphqlUrl, firstBytes, { token }))).toBe("QUOTA_EXCEEDED");
    expect(await t.files()).toEqual(before);

    // Saving one as a photo makes room.
    await add(token, [{ stagedImageId: staged[0]!.id }]);
    await stage(token);
  });

  it("gives another user's staged images to nobody else", async () => {
    const token = await t.token("private");
    await stage(token);
    const other = await t.token("snoop");
    expect((await graphql(t.graphqlUrl, STAGED_IMAGES, {}, other)).body.data!["stagedImages"]).toEqual([]);
    expect(errorCode(await graphql(t.graphqlUrl, STAGED_IMAGES, {}))).toBe("UNAUTHENTICATED");
  });
});

describe("updatePhoto", () => {
  it("moves a photo and shifts the others, changes and clears captions", async () => {
    const token = await t.token("mover");
    const staged = [await stage(token), await stage(token), await stage(token), await stage(token)];
    const added = (
      await add(
        token,
        staged.map((s, i) => ({ stagedImageId: s.id, caption: `c${i}` })),
      )
    ).body.data!["addPhotos"] as { id: string }[];

    const moved = await graphql(t.graphqlUrl, UPDATE_PHOTO, { input: { id: added[0]!.id, position: 2 } }, token);
    expect(moved.body.errors).toBeUndefined();
    expect(moved.body.data!["updatePhoto"]).toMatchObject({ id: added[0]!.id, position: 2, caption: "c0" });
    expect(await captions(token, "mover")).toEqual(["c1", "c2", "c0", "c3"]);

    await graphql(t.graphqlUrl, UPDATE_PHOTO, { input: { id: added[3]!.id, position: 0 } }, token);
    expect(await captions(token, "mover")).toEqual(["c3", "c1", "c2", "c0"]);

    await graphql(t.graphqlUrl, UPDATE_PHOTO, { input: { id: added[1]!.id, caption: "renamed" } }, token);
    expect(await captions(token, "mover")).toEqual(["c3", "renamed", "c2", "c0"]);
    await graphql(t.graphqlUrl, UPDATE_PHOTO, { input: { id: added[1]!.id, caption: null } }, token);
    expect(await captions(token, "mover")).toEqual(["c3", null, "c2", "c0"]);

    for (const position of [-1, 4, 1000]) {
      expect(errorCode(await graphql(t.graphqlUrl, UPDATE_PHOTO, { input: { id: added[1]!.id, position } }, token))).toBe("BAD_USER_INPUT");
    }
    const other = await t.token("meddler");
    expect(errorCode(await graphql(t.graphqlUrl, UPDATE_PHOTO, { input: { id: added[1]!.id, caption: "mine" } }, other))).toBe("FORBIDDEN");
    expect(
      errorCode(await graphql(t.graphqlUrl, UPDATE_PHOTO, { input: { id: "00000000-0000-4000-8000-000000000000", caption: "x" } }, token)),
    ).toBe("NOT_FOUND");
    expect(await captions(token, "mover")).toEqual(["c3", null, "c2", "c0"]);
  });
});

describe("deletePhoto", () => {
  it("removes the photo and its files; the photos after it move up", async () => {
    const token = await t.token("deleter");
    const staged = [await stage(token), await stage(token), await stage(token)];
    const added = (
      await add(
        token,
        staged.map((s, i) => ({ stagedImageId: s.id, caption: `d${i}` })),
      )
    ).body.data!["addPhotos"] as { id: string }[];
    for (const file of filesOf(staged[1]!)) expect(await exists(file)).toBe(true);

    const other = await t.token("vandal");
    expect(errorCode(await graphql(t.graphqlUrl, DELETE_PHOTO, { id: added[1]!.id }, other))).toBe("FORBIDDEN");

    const result = await graphql(t.graphqlUrl, DELETE_PHOTO, { id: added[1]!.id }, token);
    expect(result.body).toEqual({ data: { deletePhoto: true } });
    expect(await captions(token, "deleter")).toEqual(["d0", "d2"]);
    for (const file of filesOf(staged[1]!)) expect(await exists(file)).toBe(false);
    expect(await t.server.database.knex("images").where({ id: staged[1]!.id }).first()).toBeUndefined();
    expect(errorCode(await graphql(t.graphqlUrl, DELETE_PHOTO, { id: added[1]!.id }, token))).toBe("NOT_FOUND");
  });

  it("keeps a file another photo of the same bytes still names (dedupe), and removes it with the last", async () => {
    const token = await t.token("twins");
    const bytes = await jpeg(150, 150);
    const a = await stage(token, bytes);
    const b = await stage(token, bytes);
    expect(b.image.url).toBe(a.image.url);
    const added = (await add(token, [{ stagedImageId: a.id }, { stagedImageId: b.id }])).body.data!["addPhotos"] as { id: string }[];
    await graphql(t.graphqlUrl, DELETE_PHOTO, { id: added[0]!.id }, token);
    for (const file of filesOf(a)) expect(await exists(file)).toBe(true);
    await graphql(t.graphqlUrl, DELETE_PHOTO, { id: added[1]!.id }, token);
    for (const file of filesOf(a)) expect(await exists(file)).toBe(false);
  });
});

describe("the admin's images and deleteImage", () => {
  it("lists every image newest first, filters, pages, and refuses non-admins", async () => {
    const admin = await t.token("root", { admin: true });
    const alice = await t.token("alice-a");
    const bob = await t.token("bob-a");
    const aliceStaged = await stage(alice);
    const bobPhoto = await stage(bob);
    await add(bob, [{ stagedImageId: bobPhoto.id }]);
    const bobStaged = await stage(bob);

    expect(errorCode(await graphql(t.graphqlUrl, IMAGES, {}, alice))).toBe("FORBIDDEN");
    expect(errorCode(await graphql(t.graphqlUrl, IMAGES, {}))).toBe("UNAUTHENTICATED");

    const bobs = (await graphql(t.graphqlUrl, IMAGES, { filter: { ownerId: "bob-a" } }, admin)).body.data!["images"];
    expect(bobs.totalCount).toBe(2);
    expect(bobs.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([bobStaged.id, bobPhoto.id]);
    expect(bobs.edges[0].node).toMatchObject({ status: "STAGED", owner: { id: "bob-a", username: "bob-a" } });
    expect(bobs.edges[1].node).toMatchObject({ status: "COMMITTED" });

    const committed = (await graphql(t.graphqlUrl, IMAGES, { filter: { ownerId: "bob-a", status: "COMMITTED" } }, admin)).body.data![
      "images"
    ];
    expect(committed.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([bobPhoto.id]);
    const future = (await graphql(t.graphqlUrl, IMAGES, { filter: { createdAfter: new Date(Date.now() + 60_000).toISOString() } }, admin))
      .body.data!["images"];
    expect(future.totalCount).toBe(0);
    const early = (
      await graphql(
        t.graphqlUrl,
        IMAGES,
        { filter: { ownerId: "alice-a", createdBefore: new Date(Date.now() + 60_000).toISOString() } },
        admin,
      )
    ).body.data!["images"];
    expect(early.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([aliceStaged.id]);
    expect(errorCode(await graphql(t.graphqlUrl, IMAGES, { filter: { status: "DELETED" } }, admin))).toBe("BAD_USER_INPUT");
    expect(errorCode(await graphql(t.graphqlUrl, IMAGES, { first: 101 }, admin))).toBe("BAD_USER_INPUT");
    expect(errorCode(await graphql(t.graphqlUrl, IMAGES, { after: "garbage" }, admin))).toBe("BAD_USER_INPUT");

    // Paging one at a time visits every image once, in the same order as one page.
    const all = (await graphql(t.graphqlUrl, IMAGES, { first: 100 }, admin)).body.data!["images"];
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await graphql(t.graphqlUrl, IMAGES, { first: 1, after }, admin)).body.data!["images"];
      seen.push(...page.edges.map((e: { node: { id: string } }) => e.node.id));
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.edges.map((e: { node: { id: string } }) => e.node.id));
    expect(seen).toHaveLength(all.totalCount);
  });

  it("reads the owners of a page of photos, and of the admin's images, in one query", async () => {
    const owner = await t.token("many-owners");
    const staged = [await stage(owner), await stage(owner), await stage(owner), await stage(owner)];
    expect(
      (
        await add(
          owner,
          staged.map((s) => ({ stagedImageId: s.id })),
        )
      ).body.errors,
    ).toBeUndefined();
    const admin = await t.token("owner-reader", { admin: true });
    // The server makes a user's row on first sight: not a read this test counts.
    await graphql(t.graphqlUrl, VIEWER, {}, admin);
    const userReads: string[] = [];
    const onQuery = (query: { sql: string }) => void (/\bfrom "users"/.test(query.sql) && userReads.push(query.sql));
    t.server.database.knex.on("query", onQuery);
    try {
      const photos = await graphql(
        t.graphqlUrl,
        `query ($id: ID!) { user(id: $id) { photos { edges { node { owner { id } image { owner { id } } } } } } }`,
        { id: "many-owners" },
        owner,
      );
      expect(photos.body.errors).toBeUndefined();
      const nodes = photos.body.data!["user"].photos.edges.map((e: { node: unknown }) => e.node);
      expect(nodes).toEqual(Array(4).fill({ owner: { id: "many-owners" }, image: { owner: { id: "many-owners" } } }));
      // user(id), then every owner at once.
      expect(userReads).toHaveLength(2);

      userReads.length = 0;
      const images = await graphql(t.graphqlUrl, `{ images(first: 20) { edges { node { owner { id } } } } }`, {}, admin);
      expect(images.body.errors).toBeUndefined();
      expect(images.body.data!["images"].edges.length).toBeGreaterThan(4);
      expect(userReads).toHaveLength(1);
    } finally {
      t.server.database.knex.off("query", onQuery);
    }
  });

  it("shows an image's owner, status and date to its owner and admins only", async () => {
    const owner = await t.token("shown");
    const staged = await stage(owner);
    await add(owner, [{ stagedImageId: staged.id }]);
    const query = /* GraphQL */ `query ($id: ID!) { image(id: $id) { id owner { id } status createdAt } }`;
    for (const token of [owner, await t.token("boss", { admin: true })]) {
      const result = await graphql(t.graphqlUrl, query, { id: staged.id }, token);
      expect(result.body.errors).toBeUndefined();
      expect(result.body.data!["image"]).toMatchObject({ owner: { id: "shown" }, status: "COMMITTED" });
      expect(Date.parse(result.body.data!["image"].createdAt)).toBeGreaterThan(Date.now() - 600_000);
    }
    const other = await t.token("onlooker");
    for (const field of ["owner { id }", "status", "createdAt"]) {
      const result = await graphql(t.graphqlUrl, `query ($id: ID!) { image(id: $id) { id ${field} } }`, { id: staged.id }, other);
      expect(errorCode(result), field).toBe("FORBIDDEN");
    }
    // The image itself stays visible to them, as a photo is.
    expect(
      (await graphql(t.graphqlUrl, `query ($id: ID!) { image(id: $id) { id } }`, { id: staged.id }, other)).body.data!["image"],
    ).toEqual({ id: staged.id });
  });

  it("deletes an image wherever it is used, with its files; non-admins are refused", async () => {
    const admin = await t.token("janitor", { admin: true });
    const user = await t.token("target");
    const avatar = await stage(user);
    await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: avatar.id } }, user);
    const photos = [await stage(user), await stage(user), await stage(user)];
    await add(
      user,
      photos.map((p, i) => ({ stagedImageId: p.id, caption: `t${i}` })),
    );

    expect(errorCode(await graphql(t.graphqlUrl, DELETE_IMAGE, { id: avatar.id }, user))).toBe("FORBIDDEN");
    expect(errorCode(await graphql(t.graphqlUrl, DELETE_IMAGE, { id: "00000000-0000-4000-8000-000000000000" }, admin))).toBe("NOT_FOUND");

    expect((await graphql(t.graphqlUrl, DELETE_IMAGE, { id: avatar.id }, admin)).body).toEqual({ data: { deleteImage: true } });
    expect((await graphql(t.graphqlUrl, VIEWER, {}, user)).body.data!["viewer"].avatar).toBeNull();
    for (const file of filesOf(avatar)) expect(await exists(file)).toBe(false);

    expect((await graphql(t.graphqlUrl, DELETE_IMAGE, { id: photos[0]!.id }, admin)).body.errors).toBeUndefined();
    expect(await captions(user, "target")).toEqual(["t1", "t2"]);
    for (const file of filesOf(photos[0]!)) expect(await exists(file)).toBe(false);
    expect(errorCode(await graphql(t.graphqlUrl, DELETE_IMAGE, { id: photos[0]!.id }, admin))).toBe("NOT_FOUND");
  });
});

describe("ADMIN_ROLE_CLAIM", () => {
  it("names the claim that makes an admin", async () => {
    const custom = await startTestServer({ ADMIN_ROLE_CLAIM: "https://example.com/roles" });
    try {
      const { mintToken } = await import("../../src/auth/mintToken.js");
      const key = custom.server.authSecret.key;
      const inRoles = await mintToken(key, "r1", { admin: true });
      const inCustom = await mintToken(key, "r2", { admin: true, roleClaim: "https://example.com/roles" });
      expect(errorCode(await graphql(custom.graphqlUrl, IMAGES, {}, inRoles))).toBe("FORBIDDEN");
      expect((await graphql(custom.graphqlUrl, IMAGES, {}, inCustom)).body.errors).toBeUndefined();
    } finally {
      await custom.stop();
    }
  });
});

describe("MAX_STAGED_PER_USER without the quota handler", () => {
  it("still holds when uploads finish together: staging checks it under the owner's lock", async () => {
    const bare = await startTestServer({ UPLOAD_HANDLERS: "limit,sniff,hash,store", MAX_STAGED_PER_USER: "2" });
    try {
      const token = await bare.token("racer");
      const files = await Promise.all([61, 62, 63, 64].map((size) => jpeg(size, size)));
      const results = await Promise.all(files.map((bytes) => stageFile(bare.graphqlUrl, bytes, { token })));
      const codes = results.map((r) => errorCode(r) ?? "OK").sort();
      expect(codes).toEqual(["OK", "OK", "QUOTA_EXCEEDED", "QUOTA_EXCEEDED"]);
      // The refused uploads left no file: two originals with their presets, nothing in scratch.
      const files2 = await bare.files();
      expect(files2.filter((f) => f.startsWith("tmp"))).toEqual([]);
      const rows = await bare.server.database.knex("images").count<{ count: string }[]>({ count: "*" });
      expect(Number(rows[0]!.count)).toBe(2);
      expect(files2).toHaveLength(2 * 3);
    } finally {
      await bare.stop();
    }
  });
});
