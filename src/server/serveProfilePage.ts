import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { sendJson } from "./sendJson.js";

export const PROFILE_PAGE_PATH = "/";
export const PROFILE_PAGE_SCRIPT_PATH = "/profile-page.js";

export interface ProfilePageOptions {
  readonly graphqlPath: string;
  /** Where the one-click development sign-in gets its token; undefined when it is off. */
  readonly devTokenPath: string | undefined;
}

const PAGE_TEMPLATE = fileURLToPath(new URL("../web/profilePage.html", import.meta.url));
const PAGE_ENTRY = fileURLToPath(new URL("../web/profilePage.ts", import.meta.url));

interface Asset {
  readonly body: Buffer;
  readonly etag: string;
}

function asset(text: string): Asset {
  const body = Buffer.from(text);
  return { body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"` };
}

/**
 * The profile page (`GET /`) and its script, bundled from src/web with esbuild
 * on first request and kept in memory: no build step to run by hand.
 */
export function createProfilePageHandler(options: ProfilePageOptions) {
  let page: Promise<Asset> | undefined;
  let script: Promise<Asset> | undefined;

  async function renderPage(): Promise<Asset> {
    const config = { graphqlPath: options.graphqlPath, devSignIn: options.devTokenPath !== undefined, devTokenPath: options.devTokenPath ?? "" };
    // Inside <script type="application/json">: "<" escaped so no value can close the element.
    const json = JSON.stringify(config).replace(/</g, "\\u003c");
    return asset((await fs.readFile(PAGE_TEMPLATE, "utf8")).replace("__UPSTAGE_CONFIG__", json));
  }

  async function bundleScript(): Promise<Asset> {
    const result = await build({
      entryPoints: [PAGE_ENTRY],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      minify: true,
      write: false,
      logLevel: "silent",
    });
    return asset(result.outputFiles[0]!.text);
  }

  function send(request: IncomingMessage, response: ServerResponse, found: Asset, contentType: string, headers: Record<string, string> = {}): void {
    const common = { etag: found.etag, "cache-control": "no-cache", ...headers };
    if (request.headers["if-none-match"] === found.etag) {
      response.writeHead(304, common).end();
      return;
    }
    response.writeHead(200, { ...common, "content-type": contentType, "content-length": found.body.length });
    response.end(request.method === "HEAD" ? undefined : found.body);
  }

  return async function serveProfilePage(request: IncomingMessage, response: ServerResponse, pathname: string): Promise<void> {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return sendJson(response, 405, { error: "Method not allowed" }, { allow: "GET, HEAD" });
    }
    try {
      if (pathname === PROFILE_PAGE_SCRIPT_PATH) {
        script ??= bundleScript();
        return send(request, response, await script, "text/javascript; charset=utf-8");
      }
      page ??= renderPage();
      send(request, response, await page, "text/html; charset=utf-8", {
        "content-security-policy":
          "default-src 'self'; img-src 'self' blob: data: http: https:; connect-src 'self' ws: wss: http: https:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        "referrer-policy": "no-referrer",
      });
    } catch (error) {
      // A failed build is not cached: the next request tries again.
      page = script = undefined;
      throw error;
    }
  };
}
