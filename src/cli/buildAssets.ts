// `npm run build`, after tsc has compiled src/ to dist/: what the compiled
// server reads besides its own modules. The migrations are compiled to
// dist/migrations, and each page's template (its includes in place) and
// bundled script go to dist/web.
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { bundleWebPage } from "../server/bundleWebPage.js";
import { readPageTemplate } from "../server/readPageTemplate.js";
import { webPages } from "../server/webPages.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dist = path.join(root, "dist");

const migrations = (await fs.readdir(path.join(root, "migrations"))).filter((file) => file.endsWith(".ts"));
await build({
  entryPoints: migrations.map((file) => path.join(root, "migrations", file)),
  outdir: path.join(dist, "migrations"),
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
});

await fs.mkdir(path.join(dist, "web"), { recursive: true });
for (const page of webPages) {
  const source = path.join(root, "src", "web");
  await fs.writeFile(path.join(dist, "web", page.template), await readPageTemplate(pathToFileURL(`${source}/`), page.template));
  await fs.writeFile(path.join(dist, "web", page.entry.replace(/\.ts$/, ".js")), await bundleWebPage(path.join(source, page.entry)));
}
