import { SignJWT } from "jose";

/**
 * Signs an HS256 token for `username` (also its `sub`), valid for `expiresIn`
 * (a jose time span such as "30d"). For development and tests; production
 * tokens come from the identity provider.
 */
export function mintToken(key: Uint8Array, username: string, options: { sub?: string; expiresIn?: string } = {}): Promise<string> {
  return new SignJWT({ preferred_username: username })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(options.sub ?? username)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "30d")
    .sign(key);
}
