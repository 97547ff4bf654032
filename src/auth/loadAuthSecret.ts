import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

export interface AuthSecret {
  readonly key: Uint8Array;
  /** True when the secret was made here for development rather than configured. */
  readonly generated: boolean;
}

const SECRET_FILE = "auth-secret";

/**
 * The HS256 key: `AUTH_SECRET` when configured; otherwise one kept in
 * `<dataDir>/auth-secret` (0600), made on first use.
 */
export async function loadAuthSecret(options: { authSecret: string | undefined; dataDir: string }): Promise<AuthSecret> {
  if (options.authSecret) return { key: new TextEncoder().encode(options.authSecret), generated: false };
  const file = path.join(options.dataDir, SECRET_FILE);
  await fs.mkdir(options.dataDir, { recursive: true });
  try {
    await fs.writeFile(file, randomBytes(32).toString("base64url"), { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const secret = (await fs.readFile(file, "utf8")).trim();
  return { key: new TextEncoder().encode(secret), generated: true };
}
