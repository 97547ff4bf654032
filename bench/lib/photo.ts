import sharp from "sharp";

/**
 * A photo-like JPEG: a colour gradient under Gaussian noise, so it compresses
 * (and decodes) like a real photograph rather than a flat test card.
 */
export async function photoJpeg(width: number, height: number, quality = 90): Promise<Buffer> {
  const gradient = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      gradient[i] = Math.round((x / width) * 255);
      gradient[i + 1] = Math.round((y / height) * 255);
      gradient[i + 2] = 128;
    }
  }
  const noise = await sharp({ create: { width, height, channels: 3, background: "#000", noise: { type: "gaussian", mean: 0, sigma: 30 } } })
    .raw()
    .toBuffer();
  return sharp(gradient, { raw: { width, height, channels: 3 } })
    .composite([{ input: noise, raw: { width, height, channels: 3 }, blend: "add" }])
    .jpeg({ quality })
    .toBuffer();
}
