// The admin page in a real browser: it lists every image, filters by status
// and owner, pages, deletes, and turns non-admins away in words.
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWithPart } from "../helpers/describeWhen.js";
import { graphql, stageFile } from "../helpers/graphqlClient.js";
import { scenery } from "../helpers/images.js";
import { COMMIT_PROFILE } from "../helpers/operations.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { chromiumMissing, launchChromium, TEST_OUTPUT } from "./browser.js";

describeWithPart(chromiumMissing, "the admin page", {}, () => {
  let t: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestServer(), launchChromium()]);
    await fs.mkdir(TEST_OUTPUT, { recursive: true });
    // alice: one avatar (committed) and two staged; bob: one staged.
    let size = 300;
    const stage = async (token: string) => {
      const result = await stageFile(t.graphqlUrl, await scenery(size, size - 60), { token });
      size += 20;
      expect(result.body.errors).toBeUndefined();
      return result.body.data!["stageImage"].id as string;
    };
    const [alice, bob] = await Promise.all([t.token("alice"), t.token("bob")]);
    const avatar = await stage(alice);
    const committed = await graphql(t.graphqlUrl, COMMIT_PROFILE, { input: { stagedImageId: avatar } }, alice);
    expect(committed.body.errors).toBeUndefined();
    await stage(alice);
    await stage(alice);
    await stage(bob);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  async function open(token: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    await page.goto(`${t.url}/admin`);
    await page.fill("#token", token);
    await page.click("#sign-in-token");
    return page;
  }

  const owners = (page: Page) => page.$$eval("#rows tr .owner", (cells) => cells.map((cell) => cell.textContent));

  it("lists every image newest first with thumbnail, owner, status, size, dimensions and date; filters by status and owner; deletes", async () => {
    const page = await open(await t.token("root", { admin: true }));
    await page.waitForSelector("#summary:has-text('1–4 of 4 images, newest first.')");
    expect(await owners(page)).toEqual(["bob", "alice", "alice", "alice"]);
    const first = await page.$$eval("#rows tr:first-child td", (cells) => cells.map((cell) => cell.textContent));
    expect(first.slice(1, 5)).toEqual(["bob", "Staged", expect.stringMatching(/^\d+(\.\d)? KB$/), "360×300"]);
    expect(first[5]).not.toBe("");
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>("#rows img")].every((img) => img.complete && img.naturalWidth > 0),
    );
    await page.screenshot({ path: path.join(TEST_OUTPUT, "admin-page.png"), fullPage: true });

    await page.selectOption("#filter-status", "COMMITTED");
    await page.waitForSelector("#summary:has-text('1–1 of 1 image, newest first.')");
    expect(await page.textContent("#rows tr .badge")).toBe("Committed");

    await page.selectOption("#filter-status", "");
    await page.fill("#filter-owner", "alice");
    await page.click("#apply-filter");
    await page.waitForSelector("#summary:has-text('1–3 of 3 images, newest first.')");
    expect(await owners(page)).toEqual(["alice", "alice", "alice"]);

    // Delete alice's avatar: the image, its files and the avatar go.
    const avatarId = (await t.server.database.knex("users").where({ id: "alice" }).first()).avatar_image_id as string;
    const filesBefore = await t.files();
    page.once("dialog", (dialog) => void dialog.accept());
    await page.click(`#rows tr[data-id="${avatarId}"] button:has-text('Delete')`);
    await page.waitForSelector("#list-status:has-text('Deleted.')");
    await page.waitForSelector("#summary:has-text('1–2 of 2 images, newest first.')");
    expect(await page.$(`#rows tr[data-id="${avatarId}"]`)).toBeNull();
    expect((await t.server.database.knex("users").where({ id: "alice" }).first()).avatar_image_id).toBeNull();
    expect(await t.server.database.knex("images").where({ id: avatarId }).first()).toBeUndefined();
    expect((await t.files()).length).toBeLessThan(filesBefore.length);
    await page.close();
  });

  it("pages through the list with Next and Previous", async () => {
    const token = await t.token("carol");
    for (let index = 0; index < 27; index++) {
      const result = await stageFile(t.graphqlUrl, await scenery(100 + index, 80), { token });
      expect(result.body.errors).toBeUndefined();
    }
    const page = await open(await t.token("root", { admin: true }));
    await page.fill("#filter-owner", "carol");
    await page.click("#apply-filter");
    await page.waitForSelector("#summary:has-text('1–25 of 27 images, newest first.')");
    expect(await page.isDisabled("#previous-page")).toBe(true);
    const firstPage = await page.$$eval("#rows tr", (rows) => rows.map((row) => (row as HTMLElement).dataset["id"]));
    await page.click("#next-page");
    await page.waitForSelector("#summary:has-text('26–27 of 27 images, newest first.')");
    expect(await page.isDisabled("#next-page")).toBe(true);
    const secondPage = await page.$$eval("#rows tr", (rows) => rows.map((row) => (row as HTMLElement).dataset["id"]));
    expect(secondPage).toHaveLength(2);
    expect(secondPage.some((id) => firstPage.includes(id))).toBe(false);
    await page.click("#previous-page");
    await page.waitForSelector("#summary:has-text('1–25 of 27 images, newest first.')");
    expect(await page.$$eval("#rows tr", (rows) => rows.map((row) => (row as HTMLElement).dataset["id"]))).toEqual(firstPage);
    await page.close();
  });

  it("turns a signed-in user who is not an admin away in words, and lists nothing", async () => {
    const page = await open(await t.token("alice"));
    await page.waitForSelector("#refusal", { state: "visible" });
    expect(await page.textContent("#refusal-text")).toBe(
      "This page is for admins. alice is signed in, and that token has no admin role (FORBIDDEN).",
    );
    expect(await page.isVisible("#list")).toBe(false);
    expect(await page.$$("#rows tr")).toHaveLength(0);
    await page.screenshot({ path: path.join(TEST_OUTPUT, "admin-page-refused.png") });
    await page.click("#refusal-sign-out");
    await page.waitForSelector("#sign-in", { state: "visible" });
    await page.close();
  });

  it("signs in a development admin in one click when the server runs on its development secret", async () => {
    // The test server, like `npm start`, runs on its generated development secret.
    const page = await browser.newPage();
    await page.goto(`${t.url}/admin`);
    await page.click("#sign-in-dev");
    await page.waitForSelector("#summary:has-text('images, newest first.')");
    expect(await page.textContent("#username")).toBe("admin");
    await page.close();
  });
});
