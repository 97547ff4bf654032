import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { type Pixels, pixelsInMemory, renderFromPixels } from "../../src/images/renderThumbnails.js";
import { sampleImage } from "../../src/images/sampleImage.js";
import type { ThumbnailSpec } from "../../src/images/ThumbnailSpec.js";

/** A grey 1800 × 1200 picture with one saturated red square (the salient region) near its top right corner. */
async function pictureWithRedSquare(): Promise<Pixels> {
  const square = await sharp({ create: { width: 160, height: 160, channels: 3, background: "#e01010" } })
    .png()
    .toBuffer();
  const { data, info } = await sharp({
    create: { width: 1800, height: 1200, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 8 } },
  })
    .composite([{ input: square, left: 1560, top: 80 }])
    .raw()
    .toBuffer({ resolveWithObject: true });
  return pixelsInMemory(data, info);
}

/** Where the red pixels of a thumbnail are, as fractions of its width and height. */
async function redCentre(jpeg: Buffer): Promise<{ x: number; y: number; share: number }> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      const i = (y * info.width + x) * info.channels;
      if (data[i]! > 170 && data[i + 1]! < 90) {
        sx += x;
        sy += y;
        n += 1;
      }
    }
  }
  return { x: sx / n / info.width, y: sy / n / info.height, share: n / (info.width * info.height) };
}

describe("renderFromPixels", () => {
  it("finds the salient region as the automatic focal point, and cuts every COVER size around it, at its exact size", async () => {
    const pixels = await pictureWithRedSquare();
    const { focus } = await sampleImage(pixels.open());
    // The square's centre is at (1640/1800, 160/1200) = (0.91, 0.13).
    expect(focus.auto).toBe(true);
    expect(focus.x).toBeGreaterThan(0.75);
    expect(focus.y).toBeLessThan(0.3);
    const specs: ThumbnailSpec[] = [125, 200, 64].map((side) => ({ width: side, height: side, fit: "COVER", format: "JPEG", focus }));
    const rendered = await renderFromPixels(pixels, specs, "libjpeg-turbo");
    expect(rendered.map((r) => [r.spec.width, r.width, r.height])).toEqual([
      [125, 125, 125],
      [200, 200, 200],
      [64, 64, 64],
    ]);
    const centres = await Promise.all(rendered.map((r) => redCentre(r.data)));
    // The cut holds the square, right of the middle (a centre crop would show none of it) ...
    for (const centre of centres) {
      expect(centre.share).toBeGreaterThan(0.01);
      expect(centre.x).toBeGreaterThan(0.7);
    }
    // ... and each size shows it in the same place.
    for (const centre of centres.slice(1)) {
      expect(Math.abs(centre.x - centres[0]!.x)).toBeLessThan(0.05);
      expect(Math.abs(centre.y - centres[0]!.y)).toBeLessThan(0.05);
    }
  });

  it("cuts a COVER box around a chosen point, clamped to the edges: a point in the far corner shows that corner", async () => {
    const pixels = await pictureWithRedSquare();
    const at = (x: number, y: number) => ({ x, y, auto: false });
    const specs: ThumbnailSpec[] = [
      { width: 100, height: 100, fit: "COVER", format: "JPEG", focus: at(0.91, 0.13) },
      { width: 300, height: 60, fit: "COVER", format: "JPEG", focus: at(0.91, 0.13) },
      { width: 100, height: 100, fit: "COVER", format: "JPEG", focus: at(0, 1) },
    ];
    const [square, strip, corner] = await Promise.all(
      (await renderFromPixels(pixels, specs, "libjpeg-turbo")).map((r) => redCentre(r.data)),
    );
    expect(square!.share).toBeGreaterThan(0.01);
    expect(strip!.share).toBeGreaterThan(0.01);
    expect(corner!.share).toBe(0);
  });

  it("keeps other fits and aspect ratios apart, and a crop's sizes inside the crop", async () => {
    const pixels = await pictureWithRedSquare();
    const crop = { x: 0, y: 0, width: 600, height: 600 };
    const specs: ThumbnailSpec[] = [
      { width: 300, height: null, fit: "INSIDE", format: "PNG" },
      { width: 160, height: 90, fit: "COVER", format: "WEBP" },
      { width: 100, height: 100, fit: "COVER", format: "JPEG", crop },
      { width: 50, height: 50, fit: "COVER", format: "JPEG", crop },
    ];
    const rendered = await renderFromPixels(pixels, specs, "libjpeg-turbo");
    expect(rendered.map((r) => [r.width, r.height])).toEqual([
      [300, 200],
      [160, 90],
      [100, 100],
      [50, 50],
    ]);
    expect((await sharp(rendered[1]!.data).metadata()).format).toBe("webp");
    // The crop is the grey top-left corner: no red in either of its sizes.
    for (const r of rendered.slice(2)) expect((await redCentre(r.data)).share).toBe(0);
  });
});
