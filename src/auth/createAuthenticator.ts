import { errors as joseErrors, jwtVerify } from "jose";
import { refusals } from "../errors/refusals.js";
import { UpstageError } from "../errors/UpstageError.js";

export interface Identity {
  /** The JWT `sub`: the user's id. */
  readonly userId: string;
  readonly username: string;
  /** The token's role claim (ADMIN_ROLE_CLAIM) holds "admin". */
  readonly isAdmin: boolean;
}

export interface Authenticator {
  /**
   * The identity in an `Authorization` value (`Bearer <JWT>`); undefined when there is none.
   * @throws UpstageError UNAUTHENTICATED for a malformed, forged or expired token.
   */
  authenticate(authorization: string | undefined | null): Promise<Identity | undefined>;
}

/** The longest `sub` and `preferred_username` a token may carry. */
const MAX_CLAIM_LENGTH = 255;
/** C0 and C1 controls (NUL among them), and the Unicode line and paragraph separators. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;

export interface AuthenticatorOptions {
  /** Accept tokens without `exp` (never expiring). Off by default: a leaked one would be good for ever. */
  readonly allowNoExpiry?: boolean;
  /**
   * The claim that lists the token's roles (`roles` by default): an array of
   * strings, or one string of space-separated roles. "admin" among them makes an admin.
   */
  readonly adminRoleClaim?: string;
}

/** The role that makes an admin. */
export const ADMIN_ROLE = "admin";

/** Whether a role claim's value names the admin role. */
function namesAdmin(claim: unknown): boolean {
  if (Array.isArray(claim)) return claim.includes(ADMIN_ROLE);
  return typeof claim === "string" && claim.split(/\s+/).includes(ADMIN_ROLE);
}

/**
 * Verifies HS256 tokens signed with `key`; no other algorithm is accepted (so
 * no `alg: none`). The token must expire (`exp`) unless `allowNoExpiry`, and
 * its `sub` and `preferred_username` must be 1 to 255 characters without
 * control characters: a claim is checked here, before it names a row.
 */
export function createAuthenticator(key: Uint8Array, options: AuthenticatorOptions = {}): Authenticator {
  return {
    async authenticate(authorization) {
      if (!authorization) return undefined;
      const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
      if (!match) throw refusals.notBearer();
      try {
        const { payload } = await jwtVerify(match[1]!, key, { algorithms: ["HS256"] });
        if (!payload.sub) throw refusals.tokenWithoutSubject();
        if (payload.exp === undefined && !options.allowNoExpiry) throw refusals.tokenWithoutExpiry();
        const username = typeof payload["preferred_username"] === "string" ? payload["preferred_username"] : payload.sub;
        for (const [claim, value] of [
          ["sub", payload.sub],
          ["preferred_username", username],
        ] as const) {
          if (value.length > MAX_CLAIM_LENGTH || CONTROL.test(value)) {
            throw refusals.tokenClaimInvalid(claim, MAX_CLAIM_LENGTH);
          }
        }
        return { userId: payload.sub, username, isAdmin: namesAdmin(payload[options.adminRoleClaim ?? "roles"]) };
      } catch (error) {
        if (error instanceof UpstageError) throw error;
        throw error instanceof joseErrors.JWTExpired ? refusals.tokenExpired(error) : refusals.tokenInvalid(error);
      }
    },
  };
}
