// Apollo Sandbox on GET /graphql in development; neither it nor introspection in production.
import { describe, expect, it } from "vitest";
import { graphql } from "../helpers/graphqlClient.js";
import { startTestServer } from "../helpers/startTestServer.js";

const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

describe("GET /graphql from a browser", () => {
  it("shows Apollo Sandbox in development, with introspection on, the development user's header, and what to use offline", async () => {
    const t = await startTestServer({ NODE_ENV: "development" });
    try {
      const response = await fetch(t.graphqlUrl, { headers: { accept: BROWSER_ACCEPT } });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
      const html = await response.text();
      expect(html).toContain("embeddable-sandbox.cdn.apollographql.com");
      expect(html).toContain("EmbeddedSandbox");
      // Without the CDN, the page says why and points to the profile page and to curl.
      expect(html).toContain("loads from Apollo's CDN");
      expect(html).toContain(`<a href="${t.url}/">the profile page</a>`);
      expect(html).toContain(`curl -s ${t.graphqlUrl}`);
      expect(html).not.toContain("it appears that you might be offline");
      // The Sandbox's Authorization header is the development user's, and the API takes it.
      const token = /"sharedHeaders":\{"Authorization":"Bearer ([^"]+)"\}/.exec(html)?.[1];
      expect(token).toBeDefined();
      const viewer = await graphql(t.graphqlUrl, "{ viewer { username } }", {}, token);
      expect(viewer.body.data).toEqual({ viewer: { username: "dev" } });
      const introspection = await graphql(t.graphqlUrl, "{ __schema { queryType { name } } }");
      expect(introspection.body.data).toEqual({ __schema: { queryType: { name: "Query" } } });
    } finally {
      await t.stop();
    }
  });

  it("shows no landing page and refuses introspection in production", async () => {
    const t = await startTestServer({ NODE_ENV: "production", AUTH_SECRET: "a-production-secret-of-at-least-32-chars" });
    try {
      const response = await fetch(t.graphqlUrl, { headers: { accept: BROWSER_ACCEPT } });
      expect(await response.text()).not.toContain("apollographql.com");
      expect(response.status).toBe(400);
      const introspection = await graphql(t.graphqlUrl, "{ __schema { queryType { name } } }");
      expect(introspection.body.errors?.[0]?.message).toMatch(/introspection/i);
    } finally {
      await t.stop();
    }
  });
});
