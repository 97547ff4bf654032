import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { bundleWebPage } from "./bundleWebPage.js";
import { readPageTemplate } from "./readPageTemplate.js";
import { sendJson } from "./sendJson.js";
import { type WebPage, webPages } from "./webPages.js";

/** Every path the pages answer. */
export const WEB_PAGE_PATHS: readonly string[] = webPages.flatMap((page) => [page.path, page.scriptPath]);

export interface WebPagesOptions {
  readonly graphqlPath: string;
  /** Where the one-click development sign-in gets its token; undefined when it is off. */
  readonly devTokenPath: string | undefined;
}

/**
 * src/web under tsx; dist/web in the compiled server, where `npm run build`
 * left each page's template (its includes in place) and its bundled script
 * (the entry's name, .js).
 */
const WEB_DIR = new URL("../web/", import.meta.url);
const COMPILED = !import.meta.url.endsWith(".ts");

interface Asset {
  readonly body: Buffer;
  readonly etag: string;
}

function asset(text: string): Asset {
  const body = Buffer.from(text);
  return { body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"` };
}

/**
 * The pages (`GET /`, `GET /admin`) and their scripts, bundled from src/web
 * with esbuild on first request and kept in memory: no build step to run by
 * hand (the compiled server reads the bundles `npm run build` made instead).
 */
export function createWebPagesHandler(options: WebPagesOptions) {
  /** Each page's HTML and script, by path, made once. */
  const made = new Map<string, Promise<Asset>>();

  async function renderPage(page: WebPage): Promise<Asset> {
    const config = {
      graphqlPath: options.graphqlPath,
      devSignIn: options.devTokenPath !== undefined,
      devTokenPath: options.devTokenPath ?? "",
    };
    // Inside <script type="application/json">: "<" escaped so no value can close the element.
    const json = JSON.stringify(config).replace(/</g, "\\u003c");
    return asset((await readPageTemplate(WEB_DIR, page.template)).replace("__UPSTAGE_CONFIG__", json));
  }

  async function bundleScript(page: WebPage): Promise<Asset> {
    if (COMPILED) return asset(await fs.readFile(fileURLToPath(new URL(page.entry.replace(/\.ts$/, ".js"), WEB_DIR)), "utf8"));
    return asset(await bundleWebPage(fileURLToPath(new URL(page.entry, WEB_DIR))));
  }

  function send(
    request: IncomingMessage,
    response: ServerResponse,
    found: Asset,
    contentType: string,
    headers: Record<string, string> = {},
  ): void {
    const common = { etag: found.etag, "cache-control": "no-cache", ...headers };
    if (request.headers["if-none-match"] === found.etag) {
      response.writeHead(304, common).end();
      return;
    }
    response.writeHead(200, { ...common, "content-type": contentType, "content-length": found.body.length });
    response.end(request.method === "HEAD" ? undefined : found.body);
  }

  /** Made on first request; a failed build is not kept, so the next request tries again. */
  function once(path: string, make: () => Promise<Asset>): Promise<Asset> {
    let found = made.get(path);
    if (!found) {
      found = make();
      made.set(path, found);
      found.catch(() => made.delete(path));
    }
    return found;
  }

  return async function serveWebPage(request: IncomingMessage, response: ServerResponse, pathname: string): Promise<void> {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return sendJson(response, 405, { error: "Method not allowed" }, { allow: "GET, HEAD" });
    }
    const script = webPages.find((page) => page.scriptPath === pathname);
    if (script) return send(request, response, await once(pathname, () => bundleScript(script)), "text/javascript; charset=utf-8");
    const page = webPages.find((candidate) => candidate.path === pathname);
    if (!page) return sendJson(response, 404, { error: "Not found" });
    send(request, response, await once(pathname, () => renderPage(page)), "text/html; charset=utf-8", {
      "content-security-policy": [
        "default-src 'self'",
        "img-src 'self' blob: data: http: https:",
        "connect-src 'self' ws: wss: http: https:",
        "style-src 'self' 'unsafe-inline'",
        "frame-ancestors 'none'",
      ].join("; "),
      "referrer-policy": "no-referrer",
    });
  };
}
