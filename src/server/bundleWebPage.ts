/**
 * A page's script (an entry of src/web and what it imports) as one minified
 * ES module for the browser. esbuild is loaded only when a bundle is made:
 * the compiled server (`npm run build`) serves the bundles made at build time.
 */
export async function bundleWebPage(entryFile: string): Promise<string> {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [entryFile],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}
