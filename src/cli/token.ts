import { loadAuthSecret } from "../auth/loadAuthSecret.js";
import { mintToken } from "../auth/mintToken.js";
import { loadConfig } from "../config.js";

/** `npm run token -- <username> [--expires 30d]`: prints a bearer token signed with the server's secret. */
async function main(argv: string[]): Promise<void> {
  const [username, flag, expiresIn] = argv;
  if (!username || username.startsWith("-") || (flag !== undefined && (flag !== "--expires" || !expiresIn))) {
    console.error("Usage: npm run token -- <username> [--expires 30d]");
    process.exit(2);
  }
  const config = loadConfig(process.env);
  const secret = await loadAuthSecret(config);
  process.stdout.write(`${await mintToken(secret.key, username, expiresIn ? { expiresIn } : {})}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
