import { SignJWT, UnsecuredJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, graphql } from "../helpers/graphqlClient.js";
import { VIEWER } from "../helpers/operations.js";
import { startTestServer, type TestServer } from "../helpers/startTestServer.js";

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

describe("Authorization: Bearer <JWT>", () => {
  it("makes the user on first sight, with sub as id and preferred_username as username", async () => {
    const token = await new SignJWT({ preferred_username: "marie" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("idp|12345")
      .setExpirationTime("1h")
      .sign(t.server.authSecret.key);
    const result = await graphql(t.graphqlUrl, VIEWER, {}, token);
    expect(result.body.data!["viewer"]).toMatchObject({ id: "idp|12345", username: "marie" });
    expect(await t.server.database.knex("users").where({ id: "idp|12345" })).toHaveLength(1);
  });

  it("answers viewer with null when no token is sent, and refuses other queries", async () => {
    expect((await graphql(t.graphqlUrl, VIEWER)).body.data!["viewer"]).toBeNull();
    expect(errorCode(await graphql(t.graphqlUrl, `{ user(id: "x") { id } }`))).toBe("UNAUTHENTICATED");
  });

  const forged: [string, () => Promise<string>][] = [
    [
      "signed with another key",
      () =>
        new SignJWT({})
          .setProtectedHeader({ alg: "HS256" })
          .setSubject("eve")
          .sign(new TextEncoder().encode("x".repeat(32))),
    ],
    ["with alg none", async () => new UnsecuredJWT({}).setSubject("eve").encode()],
    ["expired", () => t.token("eve", { expiresIn: "-1m" })],
    ["malformed", async () => "not.a.jwt"],
  ];
  it.each(forged)("refuses a token %s with 401 UNAUTHENTICATED", async (_name, make) => {
    const result = await graphql(t.graphqlUrl, VIEWER, {}, await make());
    expect(result.status).toBe(401);
    expect(errorCode(result)).toBe("UNAUTHENTICATED");
    expect(await t.server.database.knex("users").where({ id: "eve" })).toHaveLength(0);
  });
});
