// The UPLOAD_HANDLERS list checked at its own seam: no server, no database.
import { describe, expect, it } from "vitest";
import { createHandlerChain, type UploadHandlerDeps, UploadHandlersError } from "../../src/uploads/createHandlerChain.js";

/** Making a chain touches no deps but store's scratch name; nothing is opened until an upload starts. */
const deps = { scratch: { newPath: () => "/nonexistent/never-written" } } as unknown as UploadHandlerDeps;

describe("createHandlerChain", () => {
  it("refuses an unknown handler, naming it and the known ones", () => {
    expect(() => createHandlerChain(["limit", "sniff", "virus-scan", "hash", "store"])).toThrow(UploadHandlersError);
    expect(() => createHandlerChain(["limit", "sniff", "virus-scan", "hash", "store"])).toThrow(
      /unknown handlers: virus-scan\. Known: limit, sniff, quota, hash, store\./,
    );
  });

  it("refuses a list without hash or store, which staging needs", () => {
    expect(() => createHandlerChain(["limit", "sniff"])).toThrow(/must include: hash, store/);
    expect(() => createHandlerChain(["limit", "sniff", "hash"])).toThrow(/must include: store\./);
  });

  it("refuses a handler named twice", () => {
    expect(() => createHandlerChain(["sniff", "hash", "sniff", "store"])).toThrow(/repeats: sniff/);
  });

  it("makes fresh handlers for each upload, in the listed order, with an application's handler where it is named", () => {
    const chain = createHandlerChain(["limit", "scan", "hash", "store"], { scan: () => ({ name: "scan" }) });
    const first = chain(deps);
    const second = chain(deps);
    expect(first.map((handler) => handler.name)).toEqual(["limit", "scan", "hash", "store"]);
    expect(second[1]).not.toBe(first[1]);
  });

  it("accepts the retired name progress and skips it, unless an application registers a handler by that name", () => {
    expect(createHandlerChain(["limit", "progress", "hash", "store"])(deps).map((handler) => handler.name)).toEqual([
      "limit",
      "hash",
      "store",
    ]);
    const custom = createHandlerChain(["progress", "hash", "store"], { progress: () => ({ name: "my-progress" }) });
    expect(custom(deps).map((handler) => handler.name)).toEqual(["my-progress", "hash", "store"]);
  });
});
