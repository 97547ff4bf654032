import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, graphql, stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { DISCARD } from "../helpers/operations.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

let t: TestServer;
let file: Buffer;

beforeAll(async () => {
  file = await jpeg(300, 300);
  // Room for one image of this size, not two.
  t = await startTestServer({ QUOTA_BYTES: String(file.length + 100) });
});
afterAll(() => t.stop());

describe("quota", () => {
  it("refuses the upload that would cross it with QUOTA_EXCEEDED, leaving nothing behind", async () => {
    const token = await t.token("q1");
    const first = await stageFile(t.graphqlUrl, file, { token });
    expect(first.body.errors).toBeUndefined();
    const before = await t.files();
    const second = await stageFile(t.graphqlUrl, file, { token });
    expect(errorCode(second)).toBe("QUOTA_EXCEEDED");
    expect(await t.files()).toEqual(before);
  });

  it("is per user", async () => {
    await stageFile(t.graphqlUrl, file, { token: await t.token("q2") });
    const other = await stageFile(t.graphqlUrl, file, { token: await t.token("q3") });
    expect(other.body.errors).toBeUndefined();
  });

  it("frees the bytes of a discarded image", async () => {
    const token = await t.token("q4");
    const first = await stageFile(t.graphqlUrl, file, { token });
    expect(errorCode(await stageFile(t.graphqlUrl, file, { token }))).toBe("QUOTA_EXCEEDED");
    await graphql(t.graphqlUrl, DISCARD, { id: first.body.data!["stageImage"].id }, token);
    expect((await stageFile(t.graphqlUrl, file, { token })).body.errors).toBeUndefined();
  });

  it("frees the bytes of a swept image", async () => {
    const token = await t.token("q5");
    const first = await stageFile(t.graphqlUrl, file, { token });
    await t.server.database.knex("images").where({ id: first.body.data!["stageImage"].id }).update({ expires_at: new Date(0) });
    await t.server.sweeper.sweep();
    expect((await stageFile(t.graphqlUrl, file, { token })).body.errors).toBeUndefined();
  });
});
