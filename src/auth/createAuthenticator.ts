import { errors as joseErrors, jwtVerify } from "jose";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";

export interface Identity {
  /** The JWT `sub`: the user's id. */
  readonly userId: string;
  readonly username: string;
}

export interface Authenticator {
  /**
   * The identity in an `Authorization` value (`Bearer <JWT>`); undefined when there is none.
   * @throws UpstageError UNAUTHENTICATED for a malformed, forged or expired token.
   */
  authenticate(authorization: string | undefined | null): Promise<Identity | undefined>;
}

/** Verifies HS256 tokens signed with `key`; no other algorithm is accepted (so no `alg: none`). */
export function createAuthenticator(key: Uint8Array): Authenticator {
  return {
    async authenticate(authorization) {
      if (!authorization) return undefined;
      const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
      if (!match) throw unauthenticated("Expected an Authorization header of the form 'Bearer <token>'.");
      try {
        const { payload } = await jwtVerify(match[1]!, key, { algorithms: ["HS256"] });
        if (!payload.sub) throw unauthenticated("The token has no subject (sub).");
        const username = typeof payload["preferred_username"] === "string" ? payload["preferred_username"] : payload.sub;
        return { userId: payload.sub, username };
      } catch (error) {
        if (error instanceof UpstageError) throw error;
        const reason = error instanceof joseErrors.JWTExpired ? "The token has expired." : "The token is not valid.";
        throw unauthenticated(reason, error);
      }
    },
  };
}

function unauthenticated(message: string, cause?: unknown): UpstageError {
  return new UpstageError(ErrorCode.Unauthenticated, message, { cause });
}
