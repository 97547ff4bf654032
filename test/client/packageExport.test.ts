// "upstage/client" as an application imports it: the build that `npm install` makes (npm run build:client).

import { stageImageWithProgress } from "upstage/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { jpeg } from "../helpers/images.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

describe('import { stageImageWithProgress } from "upstage/client"', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.stop());

  it("is the built, typed helper, and it stages an image", async () => {
    const phases: string[] = [];
    const staged = await stageImageWithProgress(new Blob([await jpeg(120, 80)], { type: "image/jpeg" }), {
      endpoint: t.graphqlUrl,
      token: await t.token("packaged"),
      webSocketImpl: WebSocket,
      onProgress: ({ phase }) => phases.push(phase),
    });
    expect(staged.image.width).toBe(120);
    expect(phases.at(-1)).toBe("READY");
  });
});
