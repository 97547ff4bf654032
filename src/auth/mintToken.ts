import { SignJWT } from "jose";
import { ADMIN_ROLE } from "./createAuthenticator.js";

/**
 * Signs an HS256 token for `username` (also its `sub`), valid for `expiresIn`
 * (a jose time span such as "30d"); `admin` makes it an admin's. For development and tests; production
 * tokens come from the identity provider.
 */
export function mintToken(
  key: Uint8Array,
  username: string,
  options: {
    sub?: string;
    expiresIn?: string /** Adds "admin" to the role claim. */;
    admin?: boolean /** The role claim's name (ADMIN_ROLE_CLAIM). */;
    roleClaim?: string;
  } = {},
): Promise<string> {
  const claims: Record<string, unknown> = { preferred_username: username };
  if (options.admin) claims[options.roleClaim ?? "roles"] = [ADMIN_ROLE];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(options.sub ?? username)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "30d")
    .sign(key);
}
