import fs from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import type { MissingPart } from "../helpers/describeWhen.js";

/** Debian's Chromium; `.ci/run` installs it with apt when it is missing. */
export const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

/** What the browser suites need when this machine has no Chromium at CHROMIUM (describeWithPart). */
export const chromiumMissing: MissingPart | undefined = fs.existsSync(CHROMIUM)
  ? undefined
  : { what: `Chromium at ${CHROMIUM} (CHROMIUM_PATH)`, install: "apt-get install chromium" };

/** Where tests leave screenshots (ignored by git). */
export const TEST_OUTPUT = path.resolve("test-output");

/** Headless Chromium as this machine runs it: no sandbox as root, and no calls home on a closed network. */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Slows the page's uploads to `bytesPerSecond`, as a phone on a poor network. */
export async function throttleUploads(page: Page, bytesPerSecond: number): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 20,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
}

/**
 * Records, in the page, every text the upload status shows and the values the
 * progress bar takes: `seen(page)` reads them back.
 */
export async function watchPage(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen = { status: [] as string[], progress: [] as number[] };
    (window as unknown as { __seen: typeof seen }).__seen = seen;
    const status = document.getElementById("upload-status")!;
    const progress = document.getElementById("progress") as HTMLProgressElement;
    const record = () => {
      if (status.textContent && seen.status.at(-1) !== status.textContent) seen.status.push(status.textContent);
      if (seen.progress.at(-1) !== progress.value) seen.progress.push(progress.value);
    };
    new MutationObserver(record).observe(status, { childList: true, characterData: true, subtree: true });
    // A progress element's value is a property, not an attribute: poll it.
    setInterval(record, 10);
  });
}

export function seen(page: Page): Promise<{ status: string[]; progress: number[] }> {
  return page.evaluate(() => (window as unknown as { __seen: { status: string[]; progress: number[] } }).__seen);
}

/** Drops the files on the Photos drop zone as a person dragging them from their desktop would. */
export async function dropFiles(page: Page, files: { name: string; type: string; bytes: Buffer }[]): Promise<void> {
  const payload = files.map((file) => ({ name: file.name, type: file.type, base64: file.bytes.toString("base64") }));
  await page.evaluate((dropped) => {
    const transfer = new DataTransfer();
    for (const file of dropped) {
      const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], file.name, { type: file.type }));
    }
    const zone = document.getElementById("photo-drop")!;
    zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, payload);
}
