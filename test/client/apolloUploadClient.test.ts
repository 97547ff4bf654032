// Real client libraries, unmodified: @apollo/client with apollo-upload-client's
// UploadHttpLink for the multipart mutation, and graphql-ws for the progress.
import { ApolloClient, gql, InMemoryCache } from "@apollo/client";
import UploadHttpLink from "apollo-upload-client/UploadHttpLink.mjs";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
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
    const ws = createClient({
      url: t.graphqlUrl.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
    });
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

      const saved = await client.mutate({
        mutation: COMMIT_PROFILE,
        variables: { input: { firstName: "Apollo", stagedImageId: stagedImage.id } },
      });
      expect(saved.data).toMatchObject({ commitProfile: { id: "apollo-user", firstName: "Apollo", avatar: { id: expect.any(String) } } });
    } finally {
      await ws.dispose();
      client.stop();
    }
  });

  it("stages several files with UploadHttpLink, adds them as photos in one call and pages through them, as Apollo Client caches them", async () => {
    const token = await t.token("apollo-photos");
    const client = apolloClient(token);
    try {
      const staged: string[] = [];
      for (const width of [400, 410, 420]) {
        const file = new File([await jpeg(width, 300)], `photo-${width}.jpg`, { type: "image/jpeg" });
        const result = await client.mutate({ mutation: STAGE_IMAGE, variables: { file } });
        staged.push((result.data as { stageImage: { id: string } }).stageImage.id);
      }
      const added = await client.mutate({
        mutation: gql`
          mutation Add($input: AddPhotosInput!) {
            addPhotos(input: $input) { id position caption image { id width } }
          }
        `,
        variables: { input: { photos: staged.map((stagedImageId, index) => ({ stagedImageId, caption: `p${index}` })) } },
      });
      const photos = (added.data as { addPhotos: { position: number; caption: string; image: { width: number } }[] }).addPhotos;
      expect(photos.map((photo) => [photo.position, photo.caption, photo.image.width])).toEqual([
        [0, "p0", 400],
        [1, "p1", 410],
        [2, "p2", 420],
      ]);

      const PAGE = gql`
        query Page($after: String) {
          viewer { id photos(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor hasPreviousPage } edges { cursor node { id caption } } } }
        }
      `;
      type Page = {
        viewer: {
          photos: {
            totalCount: number;
            pageInfo: { hasNextPage: boolean; endCursor: string; hasPreviousPage: boolean };
            edges: { node: { caption: string } }[];
          };
        };
      };
      const first = (await client.query({ query: PAGE, variables: { after: null } })).data as Page;
      expect(first.viewer.photos.edges.map((edge) => edge.node.caption)).toEqual(["p0", "p1"]);
      expect(first.viewer.photos).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true, hasPreviousPage: false } });
      const second = (await client.query({ query: PAGE, variables: { after: first.viewer.photos.pageInfo.endCursor } })).data as Page;
      expect(second.viewer.photos.edges.map((edge) => edge.node.caption)).toEqual(["p2"]);
      expect(second.viewer.photos.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    } finally {
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
