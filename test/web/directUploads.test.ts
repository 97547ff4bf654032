// The profile page on a server with STORAGE=s3: uploadOptions says it has
// the direct door, so the page sends each file's bytes straight to the bucket
// (s3rver, with a CORS rule for the page's origin, as a browser really needs),
// shows its own progress while they go, and upstage's pushed phases after.
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page, Request } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWithPart } from "../helpers/describeWhen.js";
import { scenery } from "../helpers/images.js";
import { startS3Server, type TestS3Server } from "../helpers/s3Server.js";
import { freePort } from "../helpers/spawnServer.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { chromiumMissing, dropFiles, launchChromium, seen, TEST_OUTPUT, throttleUploads, watchPage } from "./browser.js";

describeWithPart(chromiumMissing, "direct uploads from the page", {}, () => {
  let s3: TestS3Server;
  let t: TestServer;
  let browser: Browser;
  let photo: Buffer;
  beforeAll(async () => {
    const port = await freePort();
    s3 = await startS3Server("upstage-direct-page", { corsOrigins: [`http://localhost:${port}`] });
    [t, browser, photo] = await Promise.all([startTestServer({ ...s3.env, PORT: String(port) }), launchChromium(), scenery(1600, 1200)]);
    await fs.mkdir(TEST_OUTPUT, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await s3?.stop();
  });

  /** A signed-in page, and every request it makes from now on. */
  async function signedIn(username: string): Promise<{ page: Page; requests: Request[] }> {
    const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
    const requests: Request[] = [];
    page.on("request", (request) => requests.push(request));
    await page.goto(`${t.url}/`);
    await page.fill("#token", await t.token(username));
    await page.click("#sign-in-token");
    await page.waitForSelector("#profile", { state: "visible" });
    return { page, requests };
  }

  const putsToBucket = (requests: Request[]) =>
    requests.filter((request) => request.method() === "PUT" && request.url().startsWith(`${s3.endpoint}/`));
  const bytesToUpstage = (requests: Request[]) =>
    requests.filter(
      (request) =>
        request.url().startsWith(t.url) &&
        ((request.headers()["content-type"] ?? "").startsWith("multipart/") || request.url().includes("/uploads/")),
    );

  it("the avatar goes to the bucket with a moving bar, is staged by upstage, and is saved", async () => {
    const { page, requests } = await signedIn("direct-avatar");
    await throttleUploads(page, 400 * 1024);
    await watchPage(page);
    await page.setInputFiles("#file", { name: "photo.jpg", mimeType: "image/jpeg", buffer: photo });
    await page.waitForSelector("#preview img", { timeout: 30_000 });
    const { status, progress } = await seen(page);
    // The bar moved with the browser's own upload progress (the bucket tells upstage nothing), then stood at 100.
    expect(progress.some((value) => value > 0 && value < 100)).toBe(true);
    expect(progress.at(-1)).toBe(100);
    expect(status).toContain("Processing…");
    expect(status.at(-1)).toBe("Ready. Save to make it your avatar.");
    await page.screenshot({ path: path.join(TEST_OUTPUT, "direct-avatar-staged.png"), fullPage: true });

    const [put] = putsToBucket(requests);
    expect(put, "the file was PUT to the bucket").toBeDefined();
    expect(new URL(put!.url()).pathname).toMatch(/^\/upstage-direct-page\/quarantine\//);
    expect(bytesToUpstage(requests)).toEqual([]);

    await page.click("#save");
    await page.waitForSelector("#save-status:has-text('Saved.')");
    const user = await t.server.database.knex("users").where({ id: "direct-avatar" }).first();
    expect(user.avatar_image_id).toBeTruthy();
    expect((await s3.keys()).filter((key) => key.startsWith("quarantine/"))).toEqual([]);
    await page.close();
  });

  it("dropped photos each go to the bucket with their own bar; a file that is not an image fails at staging, in words", async () => {
    const { page, requests } = await signedIn("direct-photos");
    await page.waitForSelector("#photos", { state: "visible" });
    await dropFiles(page, [
      { name: "one.jpg", type: "image/jpeg", bytes: await scenery(900, 600) },
      { name: "notes.jpg", type: "image/jpeg", bytes: Buffer.from("not a picture at all\n".repeat(200)) },
      { name: "two.jpg", type: "image/jpeg", bytes: await scenery(600, 900) },
    ]);
    await page.waitForFunction(
      () =>
        document.querySelectorAll("#photo-uploads .upload[data-state=staged]").length === 2 &&
        document.querySelectorAll("#photo-uploads .upload[data-state=failed]").length === 1,
      undefined,
      { timeout: 30_000 },
    );
    const failed = page.locator("#photo-uploads .upload[data-state=failed]");
    expect(await failed.locator(".name").textContent()).toBe("notes.jpg");
    expect(await failed.locator(".status").textContent()).toBe(
      "That is not an image upstage can read. Use JPEG, PNG, WebP, GIF, AVIF or HEIC.",
    );
    expect(putsToBucket(requests)).toHaveLength(3);
    expect(bytesToUpstage(requests)).toEqual([]);
    await page.click("#save-photos");
    await page.waitForSelector("#photo-count:has-text('2 photos.')");
    expect((await s3.keys()).filter((key) => key.startsWith("quarantine/"))).toEqual([]);
    await page.close();
  });
});
