import type { Knex } from "knex";
import { LRUCache } from "lru-cache";
import type { Identity } from "../auth/createAuthenticator.js";
import { ensureUser } from "../db/userQueries.js";
import type { Viewer } from "./access.js";

/**
 * Who sends a request, from its Authorization header: the token's identity,
 * with the user's row made on first sight. Users are never deleted, and a
 * viewer carries only the user's id, so a user's row is made once per user
 * and process (`knownUsers`, 10 000 of them), not looked up on every request.
 * Whether the viewer is an admin is the token's to say, on every request.
 */
export function createViewerLookup(
  deps: { readonly knex: Knex },
  authenticate: (authorization: string | undefined) => Promise<Identity | undefined>,
  options: { readonly knownUsers?: number } = {},
) {
  const knownUsers = new LRUCache<string, true>({ max: options.knownUsers ?? 10_000 });

  /**
   * For a connection that lives long (a WebSocket): the database is asked
   * every time, so one that is down is told at once (close 1013) rather than
   * on the first operation.
   * @throws UpstageError UNAUTHENTICATED for a bad token; the database's error when it cannot answer.
   */
  async function connectingViewerOf(authorization: string | undefined): Promise<Viewer | undefined> {
    const identity = await authenticate(authorization);
    if (!identity) return undefined;
    const { id } = await ensureUser(deps.knex, identity.userId, identity.username);
    knownUsers.set(id, true);
    return { id, isAdmin: identity.isAdmin };
  }

  /**
   * For one request: the user's row is made on first sight only.
   * @throws UpstageError UNAUTHENTICATED for a bad token; the database's error when it cannot answer.
   */
  async function viewerOf(authorization: string | undefined): Promise<Viewer | undefined> {
    const identity = await authenticate(authorization);
    if (!identity) return undefined;
    return knownUsers.has(identity.userId) ? { id: identity.userId, isAdmin: identity.isAdmin } : connectingViewerOf(authorization);
  }

  return { viewerOf, connectingViewerOf };
}
