// The whole flow, on every storage: stage → commit → thumbnail on demand → delete.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphql, stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { COMMIT_PROFILE, DISCARD } from "../helpers/operations.js";
import { startS3Server, type TestS3Server } from "../helpers/s3Server.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

const THUMBNAIL = /* GraphQL */ `
  query Thumbnail($id: ID!) { image(id: $id) { thumbnail(width: 64, format: WEBP) { url width } } }
`;

interface Setup {
  readonly t: TestServer;
  /** Where URLs point: the server's /media/ or the bucket. */
  readonly urlBase: string;
  stop(): Promise<void>;
}

async function onLocalDisk(): Promise<Setup> {
  const t = await startTestServer();
  return { t, urlBase: `${t.url}/media/`, stop: () => t.stop() };
}

async function onS3(extraEnv: (s3: TestS3Server) => Record<string, string>, urlBase: (s3: TestS3Server) => string): Promise<Setup> {
  const s3 = await startS3Server();
  const t = await startTestServer({ ...s3.env, ...extraEnv(s3) });
  return {
    t,
    urlBase: urlBase(s3),
    async stop() {
      await t.stop();
      await s3.stop();
    },
  };
}

async function storedKeys(t: TestServer): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of t.server.storage.list()) keys.push(object.key);
  return keys.sort();
}

async function fetchOk(url: string): Promise<{ contentType: string | null; bytes: number }> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return { contentType: response.headers.get("content-type"), bytes: (await response.arrayBuffer()).byteLength };
}

describe.each([
  ["local disk", onLocalDisk],
  [
    "S3 with presigned URLs",
    () =>
      onS3(
        () => ({}),
        (s3) => `${s3.endpoint}/${s3.bucket}/`,
      ),
  ],
  [
    "S3 with a public URL",
    () =>
      onS3(
        (s3) => ({ S3_PUBLIC_URL: `${s3.endpoint}/${s3.bucket}` }),
        (s3) => `${s3.endpoint}/${s3.bucket}/`,
      ),
  ],
])("on %s", (_name, setUp) => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp();
  });
  afterAll(() => setup.stop());

  it("stages, commits, makes a thumbnail on demand, and deletes the replaced avatar's files", async () => {
    const { t, urlBase } = setup;
    const token = await t.token("flow");

    const first = await stageFile(t.graphqlUrl, await jpeg(400, 300), { token });
    const staged = first.body.data!.stageImage;
    expect(staged.image.url.startsWith(urlBase)).toBe(true);
    expect(await fetchOk(staged.image.url)).toMatchObject({ contentType: "image/jpeg" });
    const firstKeys = await storedKeys(t);
    expect(firstKeys).toHaveLength(3); // the original and the two presets, side by side
    const stem = firstKeys[0]!.replace(/\..*$/, "");
    expect(firstKeys.every((key) => key.startsWith(stem))).toBe(true);

    const committed = await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: staged.id } }, token);
    expect(committed.body.data!.commitProfile.avatar.id).toBe(staged.image.id);

    const thumbnail = await graphql(t.graphqlUrl, THUMBNAIL, { id: staged.image.id }, token);
    const made = thumbnail.body.data!.image.thumbnail;
    expect(made.width).toBe(64);
    expect(await fetchOk(made.url)).toMatchObject({ contentType: "image/webp" });
    expect(await storedKeys(t)).toHaveLength(4);

    const second = await stageFile(t.graphqlUrl, await jpeg(300, 300), { token });
    await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: second.body.data!.stageImage.id } }, token);
    const after = await storedKeys(t);
    expect(after).toHaveLength(3);
    expect(after.some((key) => key.startsWith(stem))).toBe(false);

    const third = await stageFile(t.graphqlUrl, await jpeg(200, 200), { token });
    expect((await graphql(t.graphqlUrl, DISCARD, { id: third.body.data!.stageImage.id }, token)).body.data).toEqual({
      discardStagedImage: true,
    });
    expect(await storedKeys(t)).toEqual(after);
  });
});
