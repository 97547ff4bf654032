// Real client libraries, unmodified: @apollo/client with apollo-upload-client's
// UploadHttpLink for the multipart mutation, and graphql-ws for the progress.
import { ApolloClient, gql, InMemoryCache } from "@apollo/client";
import UploadHttpLink from "apollo-upload-client/UploadHttpLink.mjs";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jpeg } from "../helpers/images.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

const STAGE_IMAGE = gql`
  mutation StageAvatar($file: Upload!, $uploadId: ID) {
    stageImage(file: $file, uploadId: $uploadId) {
      id
      image {
        id
        width
        thumbnail(width: 64) {
          url
        }
      }
    }
  }
`;

const COMMIT_PROFILE = gql`
  mutation Save($input: CommitProfileInput!) {
    commitProfile(input: $input) {
      id
      firstName
      avatar {
        id
      }
    }
  }
`;

const UPLOAD_PROGRESS = `
  subscription Watch($uploadId: ID!) {
    uploadProgress(uploadId: $uploadId) { phase bytesReceived bytesTotal percent stagedImage { id } error { code } }
  }
`;

describe("@apollo/client with apollo-upload-client, and the graphql-ws client", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.stop());

  function apolloClient(token: string) {
    return new ApolloClient({
      cache: new InMemoryCache(),
      link: new UploadHttpLink({
        uri: t.graphqlUrl,
        // The CSRF preflight header Apollo Server asks of multipart requests.
        headers: { "Apollo-Require-Preflight": "true", authorization: `Bearer ${token}` },
      }),
    });
  }

  it("stages with UploadHttpLink while graphql-ws watches the progress, then commits", async () => {
    const token = await t.token("apollo-user");
    const client = apolloClient(token);
    const ws = createClient({ url: t.graphqlUrl.replace(/^http/, "ws"), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` } });
    try {
      const uploadId = crypto.randomUUID();
      const phases: string[] = [];
      const watching = (async () => {
        for await (const result of ws.iterate({ query: UPLOAD_PROGRESS, variables: { uploadId } })) {
          phases.push((result.data as { uploadProgress: { phase: string } }).uploadProgress.phase);
        }
      })();
      const file = new File([await jpeg(640, 480)], "avatar.jpg", { type: "image/jpeg" });
      const staged = await client.mutate({ mutation: STAGE_IMAGE, variables: { file, uploadId } });
      await watching;

      const stagedImage = (staged.data as { stageImage: { id: string; image: { width: number; thumbnail: { url: string } } } }).stageImage;
      expect(stagedImage.image.width).toBe(640);
      expect((await fetch(stagedImage.image.thumbnail.url)).status).toBe(200);
      expect(phases[0]).toMatch(/RECEIVING|PROCESSING/);
      expect(phases.at(-1)).toBe("READY");

      const saved = await client.mutate({ mutation: COMMIT_PROFILE, variables: { input: { firstName: "Apollo", stagedImageId: stagedImage.id } } });
      expect(saved.data).toMatchObject({ commitProfile: { id: "apollo-user", firstName: "Apollo", avatar: { id: expect.any(String) } } });
    } finally {
      await ws.dispose();
      client.stop();
    }
  });

  it("gets the contract's error code through Apollo Client", async () => {
    const client = apolloClient(await t.token("apollo-mistake"));
    const notAnImage = new File(["plain text, not pixels\n".repeat(20)], "notes.png", { type: "image/png" });
    const failure = await client.mutate({ mutation: STAGE_IMAGE, variables: { file: notAnImage } }).catch((error: unknown) => error);
    expect(JSON.stringify(failure)).toContain("UNSUPPORTED_MEDIA_TYPE");
    client.stop();
  });
});
