// A resumable upload's handler chain between its requests: kept while it
// matches what is stored, rebuilt (resume, then the stored bytes replayed)
// when it does not; `start` never runs twice for one upload.
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createResumableChains } from "../../src/uploads/createResumableChains.js";
import type { UploadContext, UploadHandler } from "../../src/uploads/UploadHandler.js";

/** A handler that records its hooks and the bytes it saw, in `log`. */
function recorder(log: string[]): UploadHandler {
  let seen = "";
  return {
    name: "recorder",
    start: () => void log.push("start"),
    resume: () => void log.push("resume"),
    chunk(data) {
      seen += data.toString();
      log.push(`chunk:${data.toString()}`);
    },
    complete: () => void log.push(`complete:${seen}`),
    abort: () => void log.push("abort"),
  };
}

const context = (): UploadContext => ({ uploadId: "u", userId: "someone", filename: "f.jpg", bytesSeen: 0, reservedBytes: 0, results: {} });

describe("createResumableChains", () => {
  it("keeps the chain between requests while it has seen exactly the stored bytes", async () => {
    const chains = createResumableChains();
    const log: string[] = [];
    await chains.begin("a", { handlers: [recorder(log)], upload: context() });
    const rebuild = () => {
      throw new Error("not rebuilt");
    };
    await (await chains.at("a", 0, rebuild)).push(Buffer.from("ab"));
    const run = await chains.at("a", 2, rebuild);
    await run.push(Buffer.from("cd"));
    await run.complete();
    expect(log).toEqual(["start", "chunk:ab", "chunk:cd", "complete:abcd"]);
  });

  it("rebuilds a lost chain with resume and a replay of the stored bytes, never start again", async () => {
    const chains = createResumableChains();
    const log: string[] = [];
    const stored = Buffer.from("abcdef");
    // Another instance, or a restart: nothing kept here, four bytes stored.
    const run = await chains.at("b", 4, () => ({
      handlers: [recorder(log)],
      upload: context(),
      readStored: () => Readable.from([stored]),
    }));
    expect(run.upload.bytesSeen).toBe(4);
    await run.push(Buffer.from("ef"));
    await run.complete();
    expect(log).toEqual(["resume", "chunk:abcd", "chunk:ef", "complete:abcdef"]);
  });

  it("rebuilds a chain that saw bytes a cut request did not store", async () => {
    const chains = createResumableChains();
    const kept: string[] = [];
    await chains.begin("c", { handlers: [recorder(kept)], upload: context() });
    await (
      await chains.at("c", 0, () => {
        throw new Error("kept");
      })
    ).push(Buffer.from("abcd"));
    // The store kept only two of those four bytes.
    const rebuilt: string[] = [];
    const run = await chains.at("c", 2, () => ({
      handlers: [recorder(rebuilt)],
      upload: context(),
      readStored: () => Readable.from([Buffer.from("ab")]),
    }));
    expect(run.upload.bytesSeen).toBe(2);
    expect(rebuilt).toEqual(["resume", "chunk:ab"]);
    // The dropped chain got no abort: its upload goes on.
    expect(kept).not.toContain("abort");
  });

  it("ends a kept chain with abort on each handler when the upload ends short", async () => {
    const chains = createResumableChains();
    const log: string[] = [];
    await chains.begin("d", { handlers: [recorder(log)], upload: context() });
    await chains.end("d", new Error("terminated"));
    expect(log).toEqual(["start", "abort"]);
  });

  it("fails a rebuild whose store holds fewer bytes than the offset says", async () => {
    const chains = createResumableChains();
    const log: string[] = [];
    await expect(
      chains.at("e", 6, () => ({ handlers: [recorder(log)], upload: context(), readStored: () => Readable.from([Buffer.from("abc")]) })),
    ).rejects.toThrow(/holds 3 bytes/);
    expect(log.at(-1)).toBe("abort");
  });
});
