// The worked example of the README's "Writing your own handler", run as it is written there.
import { describe, expect, it } from "vitest";
import { errorCode, stageFile } from "../helpers/graphqlClient.js";
import { createHourlyCap } from "../helpers/hourlyCap.js";
import { jpeg } from "../helpers/images.js";
import { startTestServer } from "../helpers/startTestServer.js";

describe("the README's hourly cap", () => {
  it("refuses the upload past the cap with QUOTA_EXCEEDED, before its body is read", async () => {
    const t = await startTestServer(
      { UPLOAD_HANDLERS: "hourly-cap,limit,sniff,quota,progress,hash,store" },
      { uploadHandlers: { "hourly-cap": createHourlyCap(2) } },
    );
    try {
      const token = await t.token("eager");
      const file = await jpeg(32, 32);
      expect((await stageFile(t.graphqlUrl, file, { token })).body.errors).toBeUndefined();
      expect((await stageFile(t.graphqlUrl, file, { token })).body.errors).toBeUndefined();
      const third = await stageFile(t.graphqlUrl, file, { token });
      expect(errorCode(third)).toBe("QUOTA_EXCEEDED");
      expect(third.body.errors![0]!.message).toBe("At most 2 uploads an hour; try again later.");
      expect((await stageFile(t.graphqlUrl, file, { token: await t.token("patient") })).body.errors).toBeUndefined();
    } finally {
      await t.stop();
    }
  });
});
