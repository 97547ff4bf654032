import type { IncomingMessage, ServerResponse } from "node:http";
import { mintToken } from "../auth/mintToken.js";
import { sendJson } from "./sendJson.js";

export const DEV_TOKEN_PATH = "/dev/token";

const USERNAME = /^[A-Za-z0-9_.-]{1,64}$/;
const DEFAULT_USERNAME = "dev";

/**
 * `POST /dev/token` with `{ "username": "…" }` (default "dev"): a token for
 * the profile page's one-click sign-in. The server mounts it only while it
 * runs on its generated development secret, never in production.
 */
export function createDevTokenHandler(key: Uint8Array) {
  return async function devToken(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== "POST") return sendJson(response, 405, { error: "Method not allowed" }, { allow: "POST" });
    let text = "";
    for await (const chunk of request as AsyncIterable<Buffer>) {
      text += chunk.toString("utf8");
      if (text.length > 1024) return sendJson(response, 413, { error: "Body too large" });
    }
    let username: unknown = DEFAULT_USERNAME;
    try {
      username = (JSON.parse(text || "{}") as { username?: unknown }).username ?? DEFAULT_USERNAME;
    } catch {
      return sendJson(response, 400, { error: "The body is not valid JSON." });
    }
    if (typeof username !== "string" || !USERNAME.test(username)) {
      return sendJson(response, 400, { error: "username: 1 to 64 letters, digits, '_', '.' or '-'." });
    }
    sendJson(response, 200, { token: await mintToken(key, username), username }, { "cache-control": "no-store" });
  };
}
