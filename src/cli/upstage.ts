// `npm run cli -- <command>` (`node dist/cli/upstage.js` compiled): the operator's tool, src/cli/upstageCli.ts.
import { upstageCli } from "./upstageCli.js";

const code = await upstageCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
// A failure ends at once, as before; success lets the streams drain.
if (code !== 0) process.exit(code);
