import { describe, expect, it } from "vitest";
import type { GraphQLContext } from "../../src/graphql/context.js";
import { UploadHandlersError } from "../../src/uploads/createHandlerChain.js";
import type { UploadHandler } from "../../src/uploads/UploadHandler.js";
import { errorCode, stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { startTestServer } from "../helpers/startTestServer.js";

describe("UPLOAD_HANDLERS", () => {
  it("refuses to start with an unknown handler, naming it", async () => {
    await expect(startTestServer({ UPLOAD_HANDLERS: "limit,sniff,virus-scan,hash,store" })).rejects.toThrow(UploadHandlersError);
    await expect(startTestServer({ UPLOAD_HANDLERS: "limit,sniff,virus-scan,hash,store" })).rejects.toThrow(/virus-scan/);
  });

  it("refuses to start without store or hash", async () => {
    await expect(startTestServer({ UPLOAD_HANDLERS: "limit,sniff" })).rejects.toThrow(/must include: hash, store/);
  });

  it("runs an application's handler where the list names it, and that handler may refuse", async () => {
    const seen: string[] = [];
    const t = await startTestServer(
      { UPLOAD_HANDLERS: "limit,sniff,no-gifs,hash,store" },
      {
        uploadHandlers: {
          "no-gifs": () => ({
            name: "no-gifs",
            chunk(_data, upload) {
              seen.push(upload.results.format ?? "unknown");
              if (upload.results.format === "gif") throw new Error("no GIFs here");
            },
          }),
        },
      },
    );
    try {
      const token = await t.token("config");
      expect((await stageFile(t.graphqlUrl, await jpeg(40, 40), { token })).body.errors).toBeUndefined();
      // It runs after sniff, so it sees the format sniff found.
      expect(seen[0]).toBe("jpeg");
    } finally {
      await t.stop();
    }
  });
});

describe("a handler inserted for one request", () => {
  it("runs first, in order with the rest, for that request only", async () => {
    const calls: string[] = [];
    const recorder = (): UploadHandler => ({
      name: "recorder",
      start: () => void calls.push("start"),
      chunk: (_data, upload) => void calls.push(`chunk format=${upload.results.format ?? "none"} sha=${upload.results.sha256 ?? "none"}`),
      complete: (upload) => void calls.push(`complete sha=${upload.results.sha256 ? "set" : "none"}`),
    });
    const t = await startTestServer(
      {},
      {
        plugins: [
          {
            // Like Django's request.upload_handlers.insert(0, …), before the body is read.
            async requestDidStart({ request, contextValue }) {
              const context = contextValue as GraphQLContext;
              if (request.http?.headers.get("x-record-upload")) context.upload?.handlers.unshift(recorder());
            },
          },
        ],
      },
    );
    try {
      const token = await t.token("inserter");
      const file = await jpeg(120, 120);
      const plain = await stageFile(t.graphqlUrl, file, { token });
      expect(plain.body.errors).toBeUndefined();
      expect(calls).toEqual([]);

      const form = new FormData();
      const query = "mutation ($file: Upload!) { stageImage(file: $file) { id } }";
      form.append("operations", JSON.stringify({ query, variables: { file: null } }));
      form.append("map", JSON.stringify({ 0: ["variables.file"] }));
      form.append("0", new Blob([file]), "a.jpg");
      const response = await fetch(t.graphqlUrl, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "apollo-require-preflight": "1", "x-record-upload": "1" },
        body: form,
      });
      expect(((await response.json()) as any).data.stageImage.id).toBeTruthy();
      expect(calls[0]).toBe("start");
      // First in the chain: it sees each chunk before sniff and hash have.
      expect(calls[1]).toBe("chunk format=none sha=none");
      expect(calls.at(-1)).toBe("complete sha=none");
    } finally {
      await t.stop();
    }
  });
});

describe("multipart requests", () => {
  it("take at most one file", async () => {
    const t = await startTestServer();
    try {
      const form = new FormData();
      const query = "mutation ($a: Upload!, $b: Upload!) { a: stageImage(file: $a) { id } b: stageImage(file: $b) { id } }";
      form.append("operations", JSON.stringify({ query, variables: { a: null, b: null } }));
      form.append("map", JSON.stringify({ 0: ["variables.a"], 1: ["variables.b"] }));
      form.append("0", new Blob([await jpeg(10, 10)]), "a.jpg");
      form.append("1", new Blob([await jpeg(10, 10)]), "b.jpg");
      const response = await fetch(t.graphqlUrl, {
        method: "POST",
        headers: { authorization: `Bearer ${await t.token("two")}`, "apollo-require-preflight": "1" },
        body: form,
      });
      const body = (await response.json()) as any;
      expect(response.status).toBe(400);
      expect(errorCode({ status: response.status, body })).toBe("BAD_USER_INPUT");
      expect(body.errors[0].message).toMatch(/at most 1 may be sent in one request/);
      expect(await t.files()).toEqual([]);
    } finally {
      await t.stop();
    }
  });
});
