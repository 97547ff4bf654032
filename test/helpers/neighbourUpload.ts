import { jpeg } from "./images.js";
import { metricValue } from "./metricValue.js";
import { type RawUploadResult, rawUpload } from "./rawUpload.js";
import type { TestServer } from "./startTestServer.js";
import { waitFor } from "./waitFor.js";

/**
 * For a test on "a busy server": another user's slow upload, in flight (the
 * server counts it) by the time this resolves, and through what the test does
 * next; await `done` at the end. Nothing, on a cold server.
 */
export async function neighbourUpload(
  t: Pick<TestServer, "graphqlUrl" | "url" | "token">,
  busy: boolean,
  username: string,
): Promise<{ done: Promise<RawUploadResult | undefined> }> {
  if (!busy) return { done: Promise.resolve(undefined) };
  const upload = rawUpload(t.graphqlUrl, await jpeg(400, 400), { token: await t.token(username), chunkSize: 4096, delayMs: 10 });
  await waitFor(async () => (await metricValue(t.url, "upstage_active_uploads")) === 1, "the neighbour's upload is in flight");
  return { done: upload };
}
