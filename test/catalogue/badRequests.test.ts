// Issue catalogue, malformed requests: refused with a code, before they cost anything, leaving nothing behind.
import { getIntrospectionQuery } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, graphql, stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { rawUpload } from "../helpers/rawUpload.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

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
      const upload = await rawUpload(stalled.graphqlUrl, file, { token: await stalled.token("staller"), chunkSize: 1024, stallAfter: 4096 });
      expect(upload.status).toBeUndefined();
      expect(upload.error).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 200));
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
