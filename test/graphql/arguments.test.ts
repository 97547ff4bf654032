import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphql } from "../helpers/graphqlClient.js";
import { COMMIT_PROFILE, DISCARD } from "../helpers/operations.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

/**
 * Every argument is checked before it reaches the database: BAD_USER_INPUT
 * for a malformed one (never INTERNAL_SERVER_ERROR, never SQL text),
 * NOT_FOUND or null for a well-formed id that is not there, UNAUTHENTICATED
 * for a bad claim.
 */
let t: TestServer;
let token: string;

beforeAll(async () => {
  t = await startTestServer();
  token = await t.token("checker");
});
afterAll(() => t.stop());

const codeOf = (result: { body: { errors?: { extensions?: { code?: string } }[] } }) => result.body.errors?.[0]?.extensions?.code;

describe("arguments checked at the edge", () => {
  it.each([
    ["image(id) that is not a UUID", "query ($id: ID!) { image(id: $id) { id } }", { id: "not-a-uuid" }],
    ["image(id) with a NUL", "query ($id: ID!) { image(id: $id) { id } }", { id: "00000000-0000-0000-0000-00000000000\u0000" }],
    ["user(id) with a NUL", "query ($id: ID!) { user(id: $id) { id } }", { id: "a\u0000b" }],
    ["user(id) of 10 000 characters", "query ($id: ID!) { user(id: $id) { id } }", { id: "x".repeat(10_000) }],
    ["discardStagedImage(id) that is not a UUID", DISCARD, { id: "1; drop table images" }],
    ["commitProfile with a stagedImageId that is not a UUID", COMMIT_PROFILE, { input: { stagedImageId: "nope" } }],
    ["commitProfile with a NUL in a name", COMMIT_PROFILE, { input: { firstName: "Al\u0000ice" } }],
    ["commitProfile with a control character in a name", COMMIT_PROFILE, { input: { lastName: "Lid\u001bdell" } }],
    ["commitProfile with a name of 5 000 characters", COMMIT_PROFILE, { input: { firstName: "a".repeat(5000) } }],
  ])("%s: BAD_USER_INPUT, no SQL", async (_name, query, variables) => {
    const result = await graphql(t.graphqlUrl, query, variables, token);
    expect(codeOf(result), JSON.stringify(result.body)).toBe("BAD_USER_INPUT");
    expect(JSON.stringify(result.body)).not.toMatch(/select |insert |update |invalid input syntax|for type uuid/i);
  });

  it("a well-formed id that is not there: null for a read, NOT_FOUND for a change", async () => {
    const id = "5f0c3c7e-2a4b-4c1d-9e8f-0123456789ab";
    expect((await graphql(t.graphqlUrl, "query ($id: ID!) { image(id: $id) { id } }", { id }, token)).body.data).toEqual({ image: null });
    expect(codeOf(await graphql(t.graphqlUrl, DISCARD, { id }, token))).toBe("NOT_FOUND");
  });

  it("an uploadId that is too long or holds a control character: BAD_USER_INPUT", async () => {
    const form = new FormData();
    form.append(
      "operations",
      JSON.stringify({
        query: "mutation ($f: Upload!, $u: ID) { stageImage(file: $f, uploadId: $u) { id } }",
        variables: { f: null, u: "u".repeat(500) },
      }),
    );
    form.append("map", JSON.stringify({ 0: ["variables.f"] }));
    form.append("0", new Blob([Buffer.from([0xff, 0xd8, 0xff, 0xe0])]), "a.jpg");
    const response = await fetch(t.graphqlUrl, {
      method: "POST",
      body: form,
      headers: { authorization: `Bearer ${token}`, "apollo-require-preflight": "1" },
    });
    const body = (await response.json()) as any;
    expect(body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(await t.files()).toEqual([]);
  });
});

describe("claims checked before they name a row", () => {
  const signed = (build: (jwt: SignJWT) => SignJWT) =>
    build(new SignJWT({}).setProtectedHeader({ alg: "HS256" })).sign(t.server.authSecret.key);

  it.each([
    ["a sub of 10 000 characters", (jwt: SignJWT) => jwt.setSubject("s".repeat(10_000)).setExpirationTime("1h")],
    ["a sub holding a NUL", (jwt: SignJWT) => jwt.setSubject("ev\u0000e").setExpirationTime("1h")],
    [
      "a preferred_username holding a control character",
      (_jwt: SignJWT) =>
        new SignJWT({ preferred_username: "a\u0007b" }).setProtectedHeader({ alg: "HS256" }).setSubject("bell").setExpirationTime("1h"),
    ],
    ["no exp", (jwt: SignJWT) => jwt.setSubject("forever")],
  ])("%s: UNAUTHENTICATED", async (_name, build) => {
    const bad = await signed(build);
    const result = await graphql(t.graphqlUrl, "{ viewer { id } }", {}, bad);
    expect(result.status).toBe(401);
    expect(codeOf(result)).toBe("UNAUTHENTICATED");
  });

  it("a token without exp is taken when AUTH_ALLOW_NO_EXPIRY says so", async () => {
    const lenient = await startTestServer({ AUTH_ALLOW_NO_EXPIRY: "true" });
    try {
      const forever = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("forever").sign(lenient.server.authSecret.key);
      expect((await graphql(lenient.graphqlUrl, "{ viewer { id } }", {}, forever)).body.data).toEqual({ viewer: { id: "forever" } });
    } finally {
      await lenient.stop();
    }
  });
});
