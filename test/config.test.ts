import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("loadConfig", () => {
  it("has the documented defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      publicUrl: undefined,
      dataDir: path.resolve("./data"),
      databaseUrl: undefined,
      uploads: { maxFileSize: 20 * 1024 * 1024 },
      images: {
        maxDimension: 2048,
        presets: [
          { width: 125, height: 125 },
          { width: 200, height: 200 },
        ],
        jpegEncoder: "libjpeg-turbo",
      },
      staging: { ttlSeconds: 900 },
    });
  });

  it("reads every variable it documents", () => {
    const config = loadConfig({
      PORT: "8080",
      PUBLIC_URL: "https://img.example.com/",
      MAX_FILE_SIZE: "1000",
      STAGE_TTL: "60",
      THUMBNAIL_PRESETS: "64x64, 300x200",
      DATABASE_URL: "postgres://u@db:5432/x",
      JPEG_ENCODER: "mozjpeg",
    });
    expect(config.images.jpegEncoder).toBe("mozjpeg");
    expect(config.port).toBe(8080);
    expect(config.publicUrl).toBe("https://img.example.com");
    expect(config.uploads.maxFileSize).toBe(1000);
    expect(config.staging.ttlSeconds).toBe(60);
    expect(config.images.presets).toEqual([
      { width: 64, height: 64 },
      { width: 300, height: 200 },
    ]);
    expect(config.databaseUrl).toBe("postgres://u@db:5432/x");
  });

  it("names the JPEG encoders it knows when JPEG_ENCODER is another", () => {
    expect(() => loadConfig({ JPEG_ENCODER: "guetzli" })).toThrow(/JPEG_ENCODER[\s\S]*libjpeg-turbo[\s\S]*mozjpeg/);
  });

  it("names every bad variable in one error", () => {
    const attempt = () => loadConfig({ PORT: "http", MAX_FILE_SIZE: "-1", THUMBNAIL_PRESETS: "big", PUBLIC_URL: "nope" });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PORT[\s\S]*PUBLIC_URL[\s\S]*MAX_FILE_SIZE[\s\S]*THUMBNAIL_PRESETS: Expected WIDTHxHEIGHT/);
  });

  it("refuses presets beyond THUMBNAIL_MAX_SIZE", () => {
    expect(() => loadConfig({ THUMBNAIL_PRESETS: "2000x2000" })).toThrow(/THUMBNAIL_MAX_SIZE/);
  });
});
