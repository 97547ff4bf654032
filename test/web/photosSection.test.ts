// The profile page's Photos section in a real browser: several files dropped
// at once, each with its own bar or error, saved with one addPhotos, then
// reordered by dragging and deleted; a reload shows the server's order.
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWithPart } from "../helpers/describeWhen.js";
import { graphql, stageFile } from "../helpers/graphqlClient.js";
import { scenery } from "../helpers/images.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { waitFor } from "../helpers/waitFor.js";
import { chromiumMissing, dropFiles, launchChromium, TEST_OUTPUT, throttleUploads } from "./browser.js";

describeWithPart(chromiumMissing, "the profile page's photos", {}, () => {
  let t: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestServer(), launchChromium()]);
    await fs.mkdir(TEST_OUTPUT, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  async function signedIn(username: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
    await page.goto(`${t.url}/`);
    await page.fill("#token", await t.token(username));
    await page.click("#sign-in-token");
    await page.waitForSelector("#photos", { state: "visible" });
    await page.waitForSelector("#photo-count:has-text('No photos yet.')");
    return page;
  }

  /** Records, in the page, each upload tile's states and texts, and the most tiles uploading at once. */
  async function watchUploads(page: Page): Promise<void> {
    await page.evaluate(() => {
      const seen = { texts: {} as Record<string, string[]>, mostUploading: 0 };
      (window as unknown as { __uploads: typeof seen }).__uploads = seen;
      const list = document.getElementById("photo-uploads")!;
      new MutationObserver(() => {
        const tiles = [...list.querySelectorAll<HTMLElement>(".upload")];
        seen.mostUploading = Math.max(seen.mostUploading, tiles.filter((tile) => tile.dataset["state"] === "uploading").length);
        tiles.forEach((tile) => {
          const name = tile.querySelector(".name")!.textContent!;
          const text = tile.querySelector(".status")!.textContent!;
          seen.texts[name] ??= [];
          const texts = seen.texts[name];
          if (texts.at(-1) !== text) texts.push(text);
        });
      }).observe(list, { subtree: true, childList: true, characterData: true, attributes: true });
    });
  }

  async function captions(page: Page): Promise<string[]> {
    return page.$$eval("#photo-grid .photo .caption", (spans) => spans.map((span) => span.textContent ?? ""));
  }

  it("drops 5 files (one not an image): 4 bars and 1 error in words, 3 at a time; saves them in one call; reorders by dragging and deletes, each kept across a reload", async () => {
    const page = await signedIn("photographer");
    const images = await Promise.all([scenery(1200, 900), scenery(1000, 800), scenery(900, 1200), scenery(1100, 700)]);
    const files = [
      { name: "one.jpg", type: "image/jpeg", bytes: images[0]! },
      { name: "two.jpg", type: "image/jpeg", bytes: images[1]! },
      { name: "notes.jpg", type: "image/jpeg", bytes: Buffer.from("not a picture at all\n".repeat(200)) },
      { name: "three.jpg", type: "image/jpeg", bytes: images[2]! },
      { name: "four.jpg", type: "image/jpeg", bytes: images[3]! },
    ];
    // Slow enough that each file is still being sent when its subscription is live, on a busy CI
    // machine with Redis too (the client sends without waiting for it; the last state is replayed).
    await throttleUploads(page, 300 * 1024);
    await watchUploads(page);
    await dropFiles(page, files);
    expect(await page.$$eval("#photo-uploads .upload progress", (bars) => bars.length)).toBe(5);
    await page.waitForFunction(() => document.querySelectorAll("#photo-uploads .upload[data-state=uploading] progress").length >= 2);
    await page.screenshot({ path: path.join(TEST_OUTPUT, "photos-uploading.png"), fullPage: true });
    await page.waitForFunction(
      () =>
        document.querySelectorAll("#photo-uploads .upload[data-state=staged]").length === 4 &&
        document.querySelectorAll("#photo-uploads .upload[data-state=failed]").length === 1,
      undefined,
      { timeout: 60_000 },
    );

    const seen = await page.evaluate(
      () => (window as unknown as { __uploads: { texts: Record<string, string[]>; mostUploading: number } }).__uploads,
    );
    expect(seen.mostUploading).toBeGreaterThan(0);
    expect(seen.mostUploading).toBeLessThanOrEqual(3);
    for (const name of ["one.jpg", "two.jpg", "three.jpg", "four.jpg"]) {
      expect(
        seen.texts[name]!.some((text) => /^\d+% \(/.test(text)),
        `${name}: ${seen.texts[name]!.join(" | ")}`,
      ).toBe(true);
      expect(seen.texts[name]!.at(-1)).toBe("Ready. Click the picture to choose its centre; Save photos to keep it.");
    }
    const failed = page.locator("#photo-uploads .upload[data-state=failed]");
    expect(await failed.locator(".name").textContent()).toBe("notes.jpg");
    expect(await failed.locator(".status").textContent()).toBe(
      "That is not an image upstage can read. Use JPEG, PNG, WebP, GIF, AVIF or HEIC.",
    );
    // Each staged tile paints its ThumbHash (decoded in the page into a PNG), then the picture loads.
    const thumbnails = await page.$$eval("#photo-uploads .staged-thumbnail", (imgs) =>
      imgs.map((img) => ({ placeholder: (img as HTMLImageElement).style.backgroundImage, width: (img as HTMLImageElement).naturalWidth })),
    );
    expect(thumbnails).toHaveLength(4);
    expect(thumbnails.every((thumbnail) => thumbnail.placeholder.startsWith('url("data:image/png;base64,'))).toBe(true);

    const staged = page.locator("#photo-uploads .upload[data-state=staged]");
    for (const [index, caption] of ["First", "Second", "Third", "Fourth"].entries())
      await staged.nth(index).locator(".caption").fill(caption);
    await page.screenshot({ path: path.join(TEST_OUTPUT, "photos-staged.png"), fullPage: true });
    await page.click("#save-photos");
    await page.waitForSelector("#photos-status:has-text('Saved 4 photos.')");
    await page.waitForSelector("#photo-count:has-text('4 photos.')");
    expect(await captions(page)).toEqual(["First", "Second", "Third", "Fourth"]);
    // The refused file's tile stays, with its error, until removed.
    expect(await page.$$("#photo-uploads .upload")).toHaveLength(1);
    await page.click("#photo-uploads .upload button");
    expect(await page.$$("#photo-uploads .upload")).toHaveLength(0);

    await page.reload();
    await page.waitForSelector("#photo-count:has-text('4 photos.')");
    expect(await captions(page)).toEqual(["First", "Second", "Third", "Fourth"]);
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>("#photo-grid img")].every((img) => img.complete && img.naturalWidth > 0),
    );
    const sources = await page.$$eval("#photo-grid picture source", (elements) =>
      elements.map((source) => (source as HTMLSourceElement).type),
    );
    expect(sources).toEqual(["image/webp", "image/webp", "image/webp", "image/webp"]);
    await page.screenshot({ path: path.join(TEST_OUTPUT, "photos-grid.png"), fullPage: true });

    // Drag the fourth onto the first: it takes first place and the others shift.
    await page.dragAndDrop("#photo-grid .photo:nth-child(4)", "#photo-grid .photo:nth-child(1)");
    await page.waitForSelector("#photos-status:has-text('Moved.')");
    expect(await captions(page)).toEqual(["Fourth", "First", "Second", "Third"]);
    await page.reload();
    await page.waitForSelector("#photo-count:has-text('4 photos.')");
    expect(await captions(page)).toEqual(["Fourth", "First", "Second", "Third"]);

    // The arrow buttons move one place, for those who cannot drag.
    await page.click("#photo-grid .photo:nth-child(3) [aria-label='Move photo 3 later']");
    await page.waitForSelector("#photos-status:has-text('Moved.')");
    expect(await captions(page)).toEqual(["Fourth", "First", "Third", "Second"]);

    const rows = await t.server.database.knex("photos").where({ owner_id: "photographer" }).orderBy("position");
    expect(rows.map((row) => [row.caption, row.position])).toEqual([
      ["Fourth", 0],
      ["First", 1],
      ["Third", 2],
      ["Second", 3],
    ]);
    const deletedImage = rows[2].image_id as string;
    const filesBefore = await t.files();

    await page.click("#photo-grid .photo:nth-child(3) .delete");
    await page.waitForSelector("#photos-status:has-text('Deleted.')");
    await page.waitForSelector("#photo-count:has-text('3 photos.')");
    expect(await captions(page)).toEqual(["Fourth", "First", "Second"]);
    await page.reload();
    await page.waitForSelector("#photo-count:has-text('3 photos.')");
    expect(await captions(page)).toEqual(["Fourth", "First", "Second"]);
    expect(await t.server.database.knex("images").where({ id: deletedImage }).first()).toBeUndefined();
    const filesAfter = await t.files();
    expect(filesAfter.length).toBeLessThan(filesBefore.length);
    expect(filesAfter.filter((file) => file.startsWith("tmp/"))).toEqual([]);
    await page.close();
  });

  it("after a reload lists the staged images not saved yet, and saves or discards them, with the focal point clicked on the picture", async () => {
    const page = await signedIn("reloader");
    const token = await t.token("reloader");
    // Two uploads made elsewhere (another tab, a phone): staged, not yet saved. The first is 2:1, shown letterboxed.
    for (const [width, height] of [
      [800, 400],
      [720, 720],
    ] as const) {
      const result = await stageFile(t.graphqlUrl, await scenery(width, height), { token });
      expect(result.body.errors).toBeUndefined();
    }
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll("#photo-uploads .upload[data-state=staged]").length === 2);
    expect(await page.isEnabled("#save-photos")).toBe(true);

    await page.click("#photo-uploads .upload[data-state=staged]:nth-child(2) button");
    await page.waitForFunction(() => document.querySelectorAll("#photo-uploads .upload").length === 1);
    await page.fill("#photo-uploads .caption", "Kept");
    // The whole 2:1 picture fills the 96 px box's width, 48 px high in its middle: a click at
    // (72, 36) of the box is 3/4 across and 1/4 down the picture.
    const picture = page.locator("#photo-uploads .staged-thumbnail");
    await page.waitForFunction(() => document.querySelector<HTMLImageElement>("#photo-uploads .staged-thumbnail")!.naturalWidth > 0);
    const picked = async () =>
      (await page.getAttribute("#photo-uploads .upload", "data-focal-point"))!.split(",").map(Number) as [number, number];
    await picture.click({ position: { x: 72, y: 36 } });
    const [x, y] = await picked();
    expect(Math.abs(x - 0.75)).toBeLessThan(0.03);
    expect(Math.abs(y - 0.25)).toBeLessThan(0.03);
    await picture.press("ArrowDown");
    const moved = await picked();
    expect(moved[0]).toBe(x);
    expect(moved[1]).toBeCloseTo(y + 0.05, 3);
    await page.click("#save-photos");
    await page.waitForSelector("#photos-status:has-text('Saved 1 photo.')");
    // The status is written before the grid has reloaded from the server.
    await waitFor(async () => (await captions(page)).length > 0, "the grid shows the saved photo");
    expect(await captions(page)).toEqual(["Kept"]);
    const [kept] = await t.server.database
      .knex("photos")
      .join("images", "images.id", "photos.image_id")
      .where({ "photos.owner_id": "reloader" })
      .select("images.*");
    expect([kept.focal_x, kept.focal_y, kept.focal_auto]).toEqual([...moved, false]);

    const { body } = await graphql(t.graphqlUrl, "{ stagedImages { id } }", {}, token);
    expect(body.data!["stagedImages"]).toEqual([]);
    await page.close();
  });

  it("Save photos during an upload waits for it, and cancelling one file leaves the others", async () => {
    const page = await signedIn("hurried");
    await throttleUploads(page, 200 * 1024);
    const [big, small] = await Promise.all([scenery(1600, 1200), scenery(400, 300)]);
    await page.setInputFiles("#photo-files", [
      { name: "small.jpg", mimeType: "image/jpeg", buffer: small },
      { name: "big.jpg", mimeType: "image/jpeg", buffer: big },
    ]);
    const bigTile = page.locator("#photo-uploads .upload", { hasText: "big.jpg" });
    await page.waitForSelector("#photo-uploads .upload[data-state=staged]", { timeout: 20_000 });
    expect(await bigTile.getAttribute("data-state")).toBe("uploading");
    await page.click("#save-photos");
    await page.waitForSelector("#photos-status:has-text('Waiting for the uploads to finish…')");
    await bigTile.locator("button:has-text('Cancel')").click();
    await page.waitForSelector("#photos-status:has-text('Saved 1 photo.')");
    expect(await bigTile.locator(".status").textContent()).toBe("Upload cancelled.");
    expect(await t.server.database.knex("photos").where({ owner_id: "hurried" })).toHaveLength(1);
    await page.close();
  });
});
