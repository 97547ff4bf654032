import type { ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";

/** Apollo's own words when its CDN cannot be reached, which this page replaces. */
const APOLLO_FALLBACK = /<div class="fallback">[\s\S]*?<\/div>/;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface SandboxLandingPageOptions {
  /** The base URL clients use (PUBLIC_URL, or http://localhost:<port>): known once the server listens. */
  readonly url: () => string;
  readonly graphqlPath: string;
  /** A development user's token, put in the Sandbox's Authorization header; undefined leaves it empty. */
  readonly devToken: string | undefined;
}

/**
 * `GET /graphql` from a browser, in development: Apollo Sandbox, embedded,
 * with the development user's `Authorization` header already filled in.
 * The Sandbox is a script on Apollo's CDN, so without the internet the page
 * says so and points to what works offline: the profile page and curl.
 */
export function sandboxLandingPage(options: SandboxLandingPageOptions): ApolloServerPlugin {
  const sharedHeaders: Record<string, string> = options.devToken ? { Authorization: `Bearer ${options.devToken}` } : {};
  const apollo = ApolloServerPluginLandingPageLocalDefault({
    embed: { initialState: { sharedHeaders } },
    includeCookies: false,
    document: "query Viewer {\n  viewer {\n    id\n    username\n  }\n}\n",
  });
  const notice = (url: string) => {
    const curl = `curl -s ${url}${options.graphqlPath} -H 'content-type: application/json' \\
  -H "authorization: Bearer $(npm run -s token -- dev)" \\
  -d '{"query": "{ viewer { id username } }"}'`;
    return `<div class="fallback">
  <h1>upstage: the GraphQL API</h1>
  <p>This page embeds Apollo Sandbox, which loads from Apollo's CDN
  (embeddable-sandbox.cdn.apollographql.com) and needs the internet. It has not loaded.</p>
  <p>Offline, use <a href="${escapeHtml(url)}/">the profile page</a>, or curl:</p>
  <pre>${escapeHtml(curl)}</pre>
</div>`;
  };
  return {
    async serverWillStart(service) {
      const listener = await apollo.serverWillStart!(service);
      if (!listener?.renderLandingPage) return listener;
      const render = listener.renderLandingPage.bind(listener);
      return {
        ...listener,
        async renderLandingPage() {
          const page = await render();
          return {
            // Per request, as Apollo's own (a new nonce each time).
            async html() {
              const html = typeof page.html === "string" ? page.html : await page.html();
              return html.replace(APOLLO_FALLBACK, notice(options.url()));
            },
          };
        },
      };
    },
  };
}
