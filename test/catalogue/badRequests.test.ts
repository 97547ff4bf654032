// Issue catalogue, malformed requests: refused with a code, before they cost anything, leaving nothing behind.
import { getIntrospectionQuery } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, graphql, stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { rawUpload } from "../helpers/rawUpload.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";
import { waitFor } from "../helpers/waitFor.js";

let t: TestServer;
let token: string;

beforeAll(async () => {
  t = await startTestServer();
  token = await t.token("malformed");
});
afterAll(() => t.stop());

async function postForm(form: FormData) {
  const response = await fetch(t.graphqlUrl, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "apollo-require-preflight": "1" },
    body: form,
  });
  return { status: response.status, body: (await response.json()) as any };
}

const STAGE = "mutation ($file: Upload!) { stageImage(file: $file) { id } }";

describe("multipart requests", () => {
  it("a map that points at a file the request does not carry: BAD_USER_INPUT", async () => {
    const form = new FormData();
    form.append("operations", JSON.stringify({ query: STAGE, variables: { file: null } }));
    form.append("map", JSON.stringify({ 0: ["variables.file"] }));
    const result = await postForm(form);
    expect(errorCode(result)).toBe("BAD_USER_INPUT");
    expect(result.body.errors[0].message).toMatch(/File missing/);
    expect(await t.files()).toEqual([]);
  });

  it.each([
    ["operations that are not JSON", "{query: stageImage", /Invalid JSON in the ‘operations’/],
    ["operations that are not an object", "42", /Invalid type for the ‘operations’/],
  ])("%s: BAD_USER_INPUT", async (_kind, operations, message) => {
    const form = new FormData();
    form.append("operations", operations);
    form.append("map", JSON.stringify({ 0: ["variables.file"] }));
    form.append("0", new Blob([await jpeg(8, 8)]), "a.jpg");
    const result = await postForm(form);
    expect(result.status).toBe(400);
    expect(errorCode(result)).toBe("BAD_USER_INPUT");
    expect(result.body.errors[0].message).toMatch(message);
  });

  it("a map whose path is not a variable: BAD_USER_INPUT", async () => {
    const form = new FormData();
    form.append("operations", JSON.stringify({ query: STAGE, variables: { file: null } }));
    form.append("map", JSON.stringify({ 0: [42] }));
    form.append("0", new Blob([await jpeg(8, 8)]), "a.jpg");
    expect(errorCode(await postForm(form))).toBe("BAD_USER_INPUT");
  });

  it("a Content-Length shorter than the body: BAD_USER_INPUT, nothing stored", async () => {
    const upload = await rawUpload(t.graphqlUrl, await jpeg(200, 200), { token, contentLengthDelta: -500 });
    expect(upload.body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(await t.files()).toEqual([]);
  });

  it("a Content-Length longer than a complete body: the image is staged, the connection closed", async () => {
    const upload = await rawUpload(t.graphqlUrl, await jpeg(200, 200), { token, contentLengthDelta: 500 });
    expect(upload.status).toBe(200);
    expect(upload.body.data.stageImage.id).toBeTruthy();
  });

  it("a body that stalls mid-file: dropped after UPLOAD_IDLE_TIMEOUT, nothing stored", async () => {
    const stalled = await startTestServer({ UPLOAD_IDLE_TIMEOUT: "1" });
    try {
      const file = await jpeg(300, 300);
      const upload = await rawUpload(stalled.graphqlUrl, file, {
        token: await stalled.token("staller"),
        chunkSize: 1024,
        stallAfter: 4096,
      });
      expect(upload.status).toBeUndefined();
      expect(upload.error).toBeDefined();
      await waitFor(async () => (await stalled.files()).length === 0, "the stalled upload's scratch file is removed");
      expect(await stalled.files()).toEqual([]);
      expect(await stalled.server.database.knex("images")).toEqual([]);
    } finally {
      await stalled.stop();
    }
  });
});

describe("expensive operations", () => {
  it("a query nested 50 deep is refused before it runs", async () => {
    const deep = `{ __schema { types { fields { type ${"{ ofType ".repeat(46)}{ name }${" }".repeat(46)} } } } }`;
    const result = await graphql(t.graphqlUrl, deep, {}, token);
    expect(result.status).toBe(400);
    expect(errorCode(result)).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(result.body.errors![0]!.message).toMatch(/depth/i);
  });

  it("the standard introspection query (Apollo Sandbox, codegen) still passes", async () => {
    const result = await graphql(t.graphqlUrl, getIntrospectionQuery(), {}, token);
    expect(result.body.errors).toBeUndefined();
  });

  it("1 000 aliases of thumbnail(...) are refused before any is rendered", async () => {
    const staged = await stageFile(t.graphqlUrl, await jpeg(64, 64), { token });
    const id = staged.body.data!["stageImage"].id;
    const before = await t.server.database.knex("thumbnails").where({ image_id: id });
    const aliases = Array.from({ length: 1000 }, (_, i) => `t${i}: thumbnail(width: ${i + 1}) { url }`).join(" ");
    const result = await graphql(t.graphqlUrl, `query ($id: ID!) { image(id: $id) { ${aliases} } }`, { id }, token);
    expect(result.status).toBe(400);
    expect(errorCode(result)).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(result.body.errors![0]!.message).toMatch(/Aliases limit/);
    expect(await t.server.database.knex("thumbnails").where({ image_id: id })).toHaveLength(before.length);
  });
});

describe("JSON bodies", () => {
  /** A server whose log lines the test reads, with a short idle timeout. */
  async function watchedServer() {
    const lines: Record<string, unknown>[] = [];
    const { Writable } = await import("node:stream");
    const log = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const server = await startTestServer({ UPLOAD_IDLE_TIMEOUT: "1", LOG_LEVEL: "info" }, { logDestination: log });
    return { server, lines };
  }

  /** Sends a JSON request's head and part of its body; `then` says what the client does next. */
  async function partialJson(url: string, then: "leave" | "stall") {
    const net = await import("node:net");
    const { hostname, port } = new URL(url);
    const socket = net.connect(Number(port), hostname);
    socket.on("error", () => {});
    const body = JSON.stringify({ query: "{ viewer { id } }" });
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 100}\r\n\r\n${body.slice(0, 10)}`,
    );
    const closed = new Promise<string>((resolve) => {
      let answer = "";
      socket.on("data", (chunk) => (answer += chunk));
      socket.on("close", () => resolve(answer));
    });
    if (then === "leave") socket.destroy();
    return closed;
  }

  it("a body its client abandons midway ends quietly: no error in the log", async () => {
    const { server, lines } = await watchedServer();
    try {
      await partialJson(server.graphqlUrl, "leave");
      // The next request is served, and nothing was logged as an error.
      expect((await graphql(server.graphqlUrl, "{ viewer { id } }", {}, await server.token("after"))).body.data).toEqual({
        viewer: { id: "after" },
      });
      expect(lines.filter((line) => Number(line["level"]) >= 50)).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it("a body that stalls is dropped after UPLOAD_IDLE_TIMEOUT, like an upload's", async () => {
    const { server } = await watchedServer();
    try {
      const answer = await partialJson(server.graphqlUrl, "stall");
      expect(answer).toBe("");
    } finally {
      await server.stop();
    }
  });
});
