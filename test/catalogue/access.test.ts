// Issue catalogue, access: another user gets FORBIDDEN or NOT_FOUND, never data; limits answer with a code.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { errorCode, graphql, stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { metricValue } from "../helpers/metricValue.js";
import { neighbourUpload } from "../helpers/neighbourUpload.js";
import { COMMIT_PROFILE, DISCARD } from "../helpers/operations.js";
import { DELETE_IMAGE } from "../helpers/photoOperations.js";
import { rawUpload } from "../helpers/rawUpload.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { collect, UPLOAD_PROGRESS, wsClient } from "../helpers/subscribe.js";
import { waitFor } from "../helpers/waitFor.js";

let t: TestServer;
let owner: string;
let stranger: string;
let stagedId: string;

beforeAll(async () => {
  t = await startTestServer({ MAX_SUBSCRIPTIONS_PER_CONNECTION: "3", MAX_CONCURRENT_UPLOADS: "1" });
  owner = await t.token("owner");
  stranger = await t.token("stranger");
  stagedId = (await stageFile(t.graphqlUrl, await jpeg(40, 40), { token: owner })).body.data!["stageImage"].id;
});
afterAll(() => t.stop());

describe("someone else's staged image", () => {
  it("is not there for image(id), nor its thumbnails", async () => {
    const result = await graphql(
      t.graphqlUrl,
      `query ($id: ID!) { image(id: $id) { url thumbnail(width: 30) { url } } }`,
      { id: stagedId },
      stranger,
    );
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data!["image"]).toBeNull();
  });

  it("cannot be committed (FORBIDDEN) or discarded (FORBIDDEN)", async () => {
    expect(errorCode(await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: stagedId } }, stranger))).toBe("FORBIDDEN");
    expect(errorCode(await graphql(t.graphqlUrl, DISCARD, { id: stagedId }, stranger))).toBe("FORBIDDEN");
    const row = await t.server.database.knex("images").where({ id: stagedId }).first();
    expect(row.status).toBe("STAGED");
  });

  it("is the owner's to see", async () => {
    const result = await graphql(t.graphqlUrl, `query ($id: ID!) { image(id: $id) { id } }`, { id: stagedId }, owner);
    expect(result.body.data!["image"]).toEqual({ id: stagedId });
  });
});

describe("who sees an image, by its status", () => {
  const IMAGE = /* GraphQL */ `query ($id: ID!) { image(id: $id) { id } }`;
  const seenBy = async (id: string, token: string) => (await graphql(t.graphqlUrl, IMAGE, { id }, token)).body.data!["image"];

  it("a staged image: its owner and an admin, nobody else; committed: everyone signed in; deleted: nobody", async () => {
    const admin = await t.token("warden", { admin: true });
    const id = (await stageFile(t.graphqlUrl, await jpeg(32, 32), { token: owner })).body.data!["stageImage"].id;
    expect([await seenBy(id, owner), await seenBy(id, admin), await seenBy(id, stranger)]).toEqual([{ id }, { id }, null]);

    await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: id } }, owner);
    expect([await seenBy(id, owner), await seenBy(id, admin), await seenBy(id, stranger)]).toEqual([{ id }, { id }, { id }]);

    expect((await graphql(t.graphqlUrl, DELETE_IMAGE, { id }, admin)).body).toEqual({ data: { deleteImage: true } });
    expect([await seenBy(id, owner), await seenBy(id, admin), await seenBy(id, stranger)]).toEqual([null, null, null]);
  });
});

describe("someone else's upload", () => {
  it("cannot be watched (FORBIDDEN), nor its uploadId used to upload (FORBIDDEN)", async () => {
    const uploadId = randomUUID();
    const mine = wsClient(t.graphqlUrl, owner);
    const watching = collect(mine, UPLOAD_PROGRESS, { uploadId });
    await t.subscribed(uploadId);

    const theirs = wsClient(t.graphqlUrl, stranger);
    const spy = await collect(theirs, UPLOAD_PROGRESS, { uploadId });
    expect((spy.error as { extensions: { code: string } }[])[0]!.extensions.code).toBe("FORBIDDEN");
    const hijack = await stageFile(t.graphqlUrl, await jpeg(10, 10), { token: stranger, uploadId });
    expect(errorCode(hijack)).toBe("FORBIDDEN");

    await Promise.all([mine.dispose(), theirs.dispose()]);
    await watching;
  });
});

describe("WebSocket limits", () => {
  it("a connection whose token has expired is closed with 4403 when it subscribes again", async () => {
    const shortLived = await t.token("brief", { expiresIn: "2s" });
    let closedWith: number | undefined;
    const client = wsClient(t.graphqlUrl, shortLived, { onClose: (code) => (closedWith = code) });
    const first = await collect(client, `{ viewer { username } }`, {});
    expect(first.events).toEqual([{ viewer: { username: "brief" } }]);
    // The server itself says when the token has expired.
    await waitFor(
      async () => errorCode(await graphql(t.graphqlUrl, `{ viewer { username } }`, {}, shortLived)) === "UNAUTHENTICATED",
      "the token expired",
      5_000,
    );
    const second = await collect(client, UPLOAD_PROGRESS, { uploadId: randomUUID() });
    expect(second.error).toBeDefined();
    expect(closedWith).toBe(4403);
    await client.dispose();
  });

  it("a message larger than 64 KiB closes the socket with 1009", async () => {
    const socket = new WebSocket(t.graphqlUrl.replace(/^http/, "ws"), "graphql-transport-ws");
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${owner}` } }));
    await new Promise((resolve) => socket.once("message", resolve));
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: `{ viewer { id } } #${"x".repeat(70 * 1024)}` } }));
    expect(await closed).toBe(1009);
  });

  it("a connection holds at most MAX_SUBSCRIPTIONS_PER_CONNECTION subscriptions: RATE_LIMITED past it", async () => {
    const client = wsClient(t.graphqlUrl, owner);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const open = ids.map((uploadId) => client.iterate({ query: UPLOAD_PROGRESS, variables: { uploadId } }));
    const pending = open.map((it) =>
      it.next().then(
        () => "open",
        () => "refused",
      ),
    );
    await Promise.all(ids.map((uploadId) => t.subscribed(uploadId)));
    const fourth = await collect(client, UPLOAD_PROGRESS, { uploadId: randomUUID() });
    expect((fourth.error as { extensions: { code: string } }[])[0]!.extensions.code).toBe("RATE_LIMITED");
    await Promise.all(open.map((it) => it.return?.()));
    // The first three were let in.
    expect(await Promise.all(pending)).toEqual(["open", "open", "open"]);
    await client.dispose();
  });

  it.each([
    ["a new user's first connection", "newcomer"],
    ["a known user's connection while another user uploads", "owner"],
  ])(
    "holds under a burst on %s: of 60 subscribes sent at once, MAX_SUBSCRIPTIONS_PER_CONNECTION are held and the rest are RATE_LIMITED",
    async (_where, username) => {
      // The second case runs with the server busy: another user's slow upload is in flight through the burst.
      const neighbour = await neighbourUpload(t, username === "owner", "neighbour");
      const client = wsClient(t.graphqlUrl, username === "owner" ? owner : await t.token(username));
      const ids = Array.from({ length: 60 }, () => randomUUID());
      const refused = new Map<string, unknown>();
      const outcomes = ids.map((uploadId) =>
        collect(client, UPLOAD_PROGRESS, { uploadId }).then((outcome) => {
          if (outcome.error) refused.set(uploadId, outcome.error);
        }),
      );
      await waitFor(() => refused.size >= ids.length - 3, "all but three refused");
      const held = ids.filter((uploadId) => !refused.has(uploadId));
      expect(held).toHaveLength(3);
      await Promise.all(held.map((uploadId) => t.subscribed(uploadId)));
      expect(new Set([...refused.values()].map((errors) => (errors as { extensions: { code: string } }[])[0]!.extensions.code))).toEqual(
        new Set(["RATE_LIMITED"]),
      );
      await client.dispose();
      await Promise.all(outcomes);
      expect((await neighbour.done)?.status ?? 200).toBe(200);
    },
  );
});

describe("uploads per user", () => {
  it("a user with MAX_CONCURRENT_UPLOADS in flight is refused another with RATE_LIMITED, before its body is read", async () => {
    const token = await t.token("busy");
    const slow = rawUpload(t.graphqlUrl, await jpeg(400, 400), { token, chunkSize: 4096, delayMs: 10 });
    await waitFor(async () => (await metricValue(t.url, "upstage_active_uploads")) === 1, "the slow upload is in flight");
    const second = await stageFile(t.graphqlUrl, await jpeg(20, 20), { token });
    expect(second.status).toBe(429);
    expect(errorCode(second)).toBe("RATE_LIMITED");
    // Someone else is not held up by it.
    expect((await stageFile(t.graphqlUrl, await jpeg(20, 20), { token: await t.token("other") })).body.errors).toBeUndefined();
    expect((await slow).status).toBe(200);
    // Once it is done, the next one goes through.
    expect((await stageFile(t.graphqlUrl, await jpeg(20, 20), { token })).body.errors).toBeUndefined();
  });
});
