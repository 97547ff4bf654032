// Signing in, shared by the profile page and the admin page: one token per
// browser (localStorage), checked against `viewer`, and one WebSocket client
// that carries every progress subscription of the session.
import { type Client, createClient } from "graphql-ws";
import type { ProfileFieldsFragment, UploadOptionsQuery, ViewerQuery } from "../client/generated/operations.js";
import { graphqlRequest } from "../client/graphqlRequest.js";
import { UPLOAD_OPTIONS, VIEWER } from "../client/operations.js";
import { UpstageRequestError } from "../client/UpstageRequestError.js";

const TOKEN_KEY = "upstage.token";

export interface Session {
  readonly endpoint: string;
  readonly token: string;
  readonly ws: Client;
  readonly viewer: ProfileFieldsFragment;
  /** What the server takes, and through which doors: uploads go direct to the bucket where it has that door. */
  readonly uploads: UploadOptionsQuery["uploadOptions"];
}

export function rememberedToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

/** Checks the token with `viewer`, remembers it, and opens the session's (lazy) WebSocket. */
export async function openSession(endpoint: string, token: string): Promise<Session> {
  const ws = createClient({
    url: endpoint.replace(/^http/, "ws"),
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: true,
  });
  try {
    const [{ viewer }, { uploadOptions }] = await Promise.all([
      graphqlRequest<ViewerQuery>(VIEWER, {}, { endpoint, token }),
      graphqlRequest<UploadOptionsQuery>(UPLOAD_OPTIONS, {}, { endpoint, token }),
    ]);
    if (!viewer) throw new UpstageRequestError("UNAUTHENTICATED", "No user for this token.");
    localStorage.setItem(TOKEN_KEY, token);
    return { endpoint, token, ws, viewer, uploads: uploadOptions };
  } catch (error) {
    await ws.dispose();
    throw error;
  }
}

/** Forgets the token and closes the WebSocket. */
export async function closeSession(session: Session | undefined): Promise<void> {
  localStorage.removeItem(TOKEN_KEY);
  await session?.ws.dispose();
}

/** A development token from the server's one-click sign-in (only on its generated development secret). */
export async function fetchDevToken(path: string, body: { username?: string; admin?: boolean } = {}): Promise<string> {
  const response = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`The server would not mint a development token (${response.status}).`);
  return ((await response.json()) as { token: string }).token;
}
