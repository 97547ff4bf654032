// The profile page in a real browser: Debian's headless Chromium driven by playwright-core.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeWithPart } from "../helpers/describeWhen.js";
import { graphql } from "../helpers/graphqlClient.js";
import { scenery } from "../helpers/images.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { waitFor } from "../helpers/waitFor.js";
import { chromiumMissing, launchChromium, seen, TEST_OUTPUT, throttleUploads, watchPage } from "./browser.js";

describeWithPart(chromiumMissing, "the profile page", {}, () => {
  let t: TestServer;
  let browser: Browser;
  let photo: Buffer;
  beforeAll(async () => {
    [t, browser, photo] = await Promise.all([startTestServer(), launchChromium(), scenery(1600, 1200)]);
    await fs.mkdir(TEST_OUTPUT, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  /** A fresh page, signed in as `username` with a pasted token. */
  async function signedIn(username: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
    await page.goto(`${t.url}/`);
    await page.fill("#token", await t.token(username));
    await page.click("#sign-in-token");
    await page.waitForSelector("#profile", { state: "visible" });
    expect(await page.textContent("#username")).toBe(username);
    return page;
  }

  it("signs in, shows the upload's pushed progress and the staged preview, saves, and keeps the avatar after a reload", async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 720 } });
    await page.goto(`${t.url}/`);
    await page.click("#sign-in-dev");
    await page.waitForSelector("#profile", { state: "visible" });
    expect(await page.textContent("#username")).toBe("dev");
    expect(await page.isVisible("#no-avatar")).toBe(true);

    await throttleUploads(page, 400 * 1024);
    await watchPage(page);
    await page.setInputFiles("#file", { name: "photo.jpg", mimeType: "image/jpeg", buffer: photo });
    await page.waitForFunction(() => /^Uploading… ([3-9]\d)%/.test(document.getElementById("upload-status")!.textContent ?? ""));
    await page.screenshot({ path: path.join(TEST_OUTPUT, "profile-page-uploading.png") });
    await page.waitForSelector("#preview img", { timeout: 20_000 });

    const { status, progress } = await seen(page);
    // The bar moved in steps fed by RECEIVING events, then stood at 100.
    expect(progress.some((value) => value > 0 && value < 100)).toBe(true);
    expect(progress.at(-1)).toBe(100);
    expect(status.some((text) => /^Uploading… \d+%/.test(text))).toBe(true);
    expect(status).toContain("Processing…");
    expect(status.at(-1)).toBe("Ready. Save to make it your avatar.");
    // The element is there before its bytes: wait until every preview has loaded, or failed to.
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>("#preview img")].every((img) => img.complete));
    const previews = await page.$$eval("#preview img", (images) => images.map((img) => (img as HTMLImageElement).naturalWidth));
    expect(previews.length).toBeGreaterThan(0);
    expect(previews.every((width) => width > 0)).toBe(true);
    await page.screenshot({ path: path.join(TEST_OUTPUT, "profile-page-staged.png"), fullPage: true });

    await page.fill("#first-name", "Ada");
    await page.fill("#last-name", "Lovelace");
    await page.click("#save");
    await page.waitForSelector("#save-status:has-text('Saved.')");

    await page.reload();
    await page.waitForSelector("#avatar", { state: "visible" });
    expect(await page.inputValue("#first-name")).toBe("Ada");
    expect(await page.inputValue("#last-name")).toBe("Lovelace");
    await page.waitForFunction(() => (document.getElementById("avatar") as HTMLImageElement).naturalWidth > 0);
    expect(await page.getAttribute("#avatar", "src")).toContain("/media/");
    await page.screenshot({ path: path.join(TEST_OUTPUT, "profile-page.png"), fullPage: true });

    const user = await t.server.database.knex("users").where({ id: "dev" }).first();
    expect(user.avatar_image_id).toBeTruthy();
    await page.close();
  });

  it("Save during an upload waits for the staged image, and the avatar is there after a reload", async () => {
    const page = await signedIn("impatient");
    await throttleUploads(page, 300 * 1024);
    await page.setInputFiles("#file", { name: "photo.jpg", mimeType: "image/jpeg", buffer: photo });
    await page.waitForFunction(() => /^Uploading… \d+%/.test(document.getElementById("upload-status")!.textContent ?? ""));
    await page.fill("#first-name", "Ima");
    await page.click("#save");
    await page.waitForSelector("#save-status:has-text('Waiting for the picture to finish uploading…')");
    await page.waitForSelector("#save-status:has-text('Saved.')", { timeout: 30_000 });
    const user = await t.server.database.knex("users").where({ id: "impatient" }).first();
    expect(user.first_name).toBe("Ima");
    expect(user.avatar_image_id).not.toBeNull();
    await page.reload();
    await page.waitForSelector("#avatar", { state: "visible" });
    await page.close();
  });

  it("Save after a cancelled upload says plainly that it saved without the new picture", async () => {
    const page = await signedIn("changedmind");
    await throttleUploads(page, 100 * 1024);
    await page.setInputFiles("#file", { name: "big.jpg", mimeType: "image/jpeg", buffer: photo });
    await page.waitForFunction(() => /^Uploading… \d+%/.test(document.getElementById("upload-status")!.textContent ?? ""));
    await page.click("#cancel");
    await page.click("#save");
    await page.waitForSelector("#save-status:has-text('Saved, without the new picture: the upload was cancelled.')");
    expect((await t.server.database.knex("users").where({ id: "changedmind" }).first()).avatar_image_id).toBeNull();
    await page.close();
  });

  it("cancels an upload midway: the page shows ABORTED and nothing is kept", async () => {
    const page = await signedIn("canceller");
    await throttleUploads(page, 100 * 1024);
    await watchPage(page);
    await page.setInputFiles("#file", { name: "big.jpg", mimeType: "image/jpeg", buffer: photo });
    await page.waitForFunction(() => /^Uploading… ([1-9]\d*)%/.test(document.getElementById("upload-status")!.textContent ?? ""));
    await page.click("#cancel");
    await page.waitForSelector("#upload-status:has-text('Upload cancelled (ABORTED).')");
    expect(await page.isVisible("#cancel")).toBe(false);
    expect(await page.$$("#preview img")).toHaveLength(0);

    await waitFor(async () => !(await t.files()).some((file) => file.startsWith("tmp/")), "the cancelled upload's scratch file is removed");
    expect((await t.files()).filter((file) => file.startsWith("tmp/"))).toEqual([]);
    expect(await t.server.database.knex("images").where({ owner_id: "canceller" })).toEqual([]);
    await page.close();
  });

  it("shrinks a large photo before sending when asked, and says how many bytes it saved", async () => {
    const page = await signedIn("shrinker");
    await page.check("#shrink");
    await page.fill("#shrink-size", "640");
    await page.setInputFiles("#file", { name: "big.jpg", mimeType: "image/jpeg", buffer: photo });
    await page.waitForSelector("#preview img", { timeout: 20_000 });

    const note = (await page.textContent("#shrink-note")) ?? "";
    expect(note).toMatch(/^Shrunk to 640×480: sending .+ instead of .+, .+ saved\.$/);
    const [image] = await t.server.database.knex("images").where({ owner_id: "shrinker" });
    expect(Math.max(image.width, image.height)).toBe(640);
    expect(Number(image.byte_size)).toBeLessThan(photo.length / 2);
    await page.close();
  });

  it("says in words why the server refused a file", async () => {
    const page = await signedIn("mistaken");
    await page.setInputFiles("#file", {
      name: "notes.jpg",
      mimeType: "image/jpeg",
      buffer: Buffer.from("these are not the pixels you are looking for\n".repeat(50)),
    });
    await page.waitForSelector("#upload-status.error");
    expect(await page.textContent("#upload-status")).toBe("That is not an image upstage can read. Use JPEG, PNG, WebP, GIF, AVIF or HEIC.");
    await page.close();
  });

  it("sends a large photo over tus: chosen again after a reload cut it, it resumes and says where", async () => {
    const large = await scenery(3200, 2400);
    expect(large.length).toBeGreaterThan(1024 * 1024);
    // From disk, as a person picks it: the same name, size and date, so the page knows it again.
    const file = path.join(TEST_OUTPUT, "large-photo.jpg");
    await fs.writeFile(file, large);
    const page = await signedIn("commuter");
    await throttleUploads(page, 400 * 1024);
    await page.setInputFiles("#file", file);
    await page.waitForFunction(
      () => /^Uploading… ([2-7]\d)%/.test(document.getElementById("upload-status")!.textContent ?? ""),
      undefined,
      { timeout: 20_000 },
    );
    // The tab is reloaded mid-upload (or the phone dropped it): the server keeps what it has.
    await page.reload();
    await page.waitForSelector("#profile", { state: "visible" });
    expect(await t.server.database.knex("resumable_uploads").where({ owner_id: "commuter" })).toHaveLength(1);
    await page.setInputFiles("#file", file);
    await page.waitForSelector("#resume-note:has-text('Resumed at')");
    const percent = Number(/Resumed at (\d+) %/.exec((await page.textContent("#resume-note")) ?? "")![1]);
    expect(percent).toBeGreaterThan(10);
    expect(percent).toBeLessThan(100);
    await page.waitForSelector("#preview img", { timeout: 30_000 });
    const [image] = await t.server.database.knex("images").where({ owner_id: "commuter" });
    expect(image.sha256).toBe(createHash("sha256").update(large).digest("hex"));
    expect(await t.server.database.knex("resumable_uploads").where({ owner_id: "commuter" })).toEqual([]);
    await page.close();
  });

  it("loads both pages without one failed request (the favicon is inline)", async () => {
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on("response", (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    });
    page.on("requestfailed", (request) => failed.push(`failed ${request.url()}`));
    for (const path of ["/", "/admin"]) {
      await page.goto(`${t.url}${path}`);
      await page.waitForSelector("#sign-in", { state: "visible" });
    }
    // A browser asks for the icon after the load: let it have its chance.
    await page.waitForLoadState("networkidle");
    expect(failed).toEqual([]);
    expect(
      await page.evaluate(() => document.querySelector<HTMLLinkElement>("link[rel=icon]")?.href.startsWith("data:image/svg+xml")),
    ).toBe(true);
    await page.close();
  });

  it("turns a bad pasted token away in words", async () => {
    const page = await browser.newPage();
    await page.goto(`${t.url}/`);
    await page.fill("#token", "not-a-token");
    await page.click("#sign-in-token");
    await page.waitForSelector("#sign-in-status:has-text('Sign in again')");
    expect(await page.isVisible("#profile")).toBe(false);
    await page.close();
  });

  it("mints development tokens for a named user, and only for a sane name", async () => {
    const minted = await fetch(`${t.url}/dev/token`, { method: "POST", body: JSON.stringify({ username: "grace" }) });
    expect(((await minted.json()) as { username: string }).username).toBe("grace");
    expect((await fetch(`${t.url}/dev/token`, { method: "POST", body: JSON.stringify({ username: "../etc" }) })).status).toBe(400);
    expect((await fetch(`${t.url}/dev/token`)).status).toBe(405);
    // An admin's token for the admin page's one-click sign-in.
    const admin = (await (await fetch(`${t.url}/dev/token`, { method: "POST", body: JSON.stringify({ admin: true }) })).json()) as {
      token: string;
      username: string;
      admin: boolean;
    };
    expect(admin).toMatchObject({ username: "admin", admin: true });
    const { body } = await graphql(t.graphqlUrl, "{ images(first: 1) { totalCount } }", {}, admin.token);
    expect(body.errors).toBeUndefined();
    for (const bad of ['{"admin":"yes"}', "[1]", '"x"', "5"]) {
      expect((await fetch(`${t.url}/dev/token`, { method: "POST", body: bad })).status, bad).toBe(400);
    }
  });
});

describe("the profile page on a configured secret", () => {
  it("offers no development sign-in, and the server mints no tokens", async () => {
    const t = await startTestServer({ AUTH_SECRET: "a-configured-secret-of-at-least-32-chars" });
    try {
      const html = await (await fetch(`${t.url}/`)).text();
      expect(html).toContain('"devSignIn":false');
      expect((await fetch(`${t.url}/dev/token`, { method: "POST", body: "{}" })).status).toBe(404);
    } finally {
      await t.stop();
    }
  });
});
