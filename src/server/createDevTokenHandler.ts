import type { IncomingMessage, ServerResponse } from "node:http";
import { mintToken } from "../auth/mintToken.js";
import { sendJson } from "./sendJson.js";

export const DEV_TOKEN_PATH = "/dev/token";

const USERNAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** The development user: the one-click sign-in's default, and the Sandbox's header. */
export const DEV_USERNAME = "dev";
const DEFAULT_ADMIN_USERNAME = "admin";

/**
 * `POST /dev/token` with `{ "username": "…", "admin": true }` (defaults "dev",
 * and "admin" when `admin` is true; both optional): a token for the pages'
 * one-click sign-in. The server mounts it only while it
 * runs on its generated development secret, never in production.
 */
export function createDevTokenHandler(key: Uint8Array, options: { readonly roleClaim: string }) {
  return async function devToken(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== "POST") return sendJson(response, 405, { error: "Method not allowed" }, { allow: "POST" });
    let text = "";
    for await (const chunk of request as AsyncIterable<Buffer>) {
      text += chunk.toString("utf8");
      if (text.length > 1024) return sendJson(response, 413, { error: "Body too large" });
    }
    let body: { username?: unknown; admin?: unknown };
    try {
      body = (JSON.parse(text || "{}") ?? {}) as typeof body;
    } catch {
      return sendJson(response, 400, { error: "The body is not valid JSON." });
    }
    if (typeof body !== "object" || Array.isArray(body)) return sendJson(response, 400, { error: "The body is not a JSON object." });
    const admin = body.admin ?? false;
    if (typeof admin !== "boolean") return sendJson(response, 400, { error: "admin: true or false." });
    const username = body.username ?? (admin ? DEFAULT_ADMIN_USERNAME : DEV_USERNAME);
    if (typeof username !== "string" || !USERNAME.test(username)) {
      return sendJson(response, 400, { error: "username: 1 to 64 letters, digits, '_', '.' or '-'." });
    }
    const token = await mintToken(key, username, { admin, roleClaim: options.roleClaim });
    sendJson(response, 200, { token, username, admin }, { "cache-control": "no-store" });
  };
}
