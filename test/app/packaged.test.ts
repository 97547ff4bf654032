// The project as a team adopts it: the compiled build `npm run build` makes
// (`npm test` builds first), started as `npm run start:prod` starts it, and
// `upstage/server` packed with `npm pack`, installed in a temporary project and
// driven by the README's handler example, as it is written there.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { cleanedAfterEach } from "../helpers/cleanedAfterEach.js";
import { graphql, stageFile } from "../helpers/graphqlClient.js";
import { jpeg } from "../helpers/images.js";
import { COMMIT_PROFILE } from "../helpers/operations.js";
import { COMPILED_ENTRY, spawnServer, tokenFor } from "../helpers/spawnServer.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));

const { tempDir, server: cleanedUp } = cleanedAfterEach();

beforeAll(async () => {
  const built = await fs.stat(path.join(root, "dist/main.js")).then(
    () => true,
    () => false,
  );
  if (!built) throw new Error("dist/main.js is missing: `npm test` builds it; alone, run `npm run build` first");
});

describe("the compiled server (npm run build, then node dist/main.js)", { timeout: 120_000 }, () => {
  it("starts with the embedded defaults, serves the prebuilt pages, and stages and commits an image", async () => {
    const dataDir = await tempDir("compiled");
    const server = cleanedUp(await spawnServer({ DATA_DIR: dataDir }, [], COMPILED_ENTRY));

    const token = await tokenFor(dataDir, "compiled");
    const staged = await stageFile(server.graphqlUrl, await jpeg(640, 480), { token });
    expect(staged.body.errors).toBeUndefined();
    const image = staged.body.data!["stageImage"].image;
    expect([image.width, image.height]).toEqual([640, 480]);
    expect((await fetch(image.thumbnails[0].url)).headers.get("content-type")).toMatch(/^image\//);
    const committed = await graphql(
      server.graphqlUrl,
      COMMIT_PROFILE,
      { input: { stagedImageId: staged.body.data!["stageImage"].id } },
      token,
    );
    expect(committed.body.errors).toBeUndefined();

    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("/profile-page.js");
    const script = await fetch(`${server.url}/profile-page.js`);
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(1000);
  });
});

/** The TypeScript blocks of the README's "Writing an upload handler", in order. */
async function readmeHandlerExample(): Promise<string> {
  const readme = await fs.readFile(path.join(root, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((part) => part.startsWith("Writing an upload handler"));
  if (!section) throw new Error('the README has no "Writing an upload handler" section');
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
  expect(blocks.length).toBe(2);
  return blocks.join("\n");
}

/** After the README's blocks: 21 uploads by one user through the server they started, then a clean stop. */
const DRIVER = `
// The test's driver.
import { readFileSync } from "node:fs";
import { mintToken } from "upstage/server";

const token: string = await mintToken(server.authSecret.key, "example");
const image = readFileSync(process.env["EXAMPLE_IMAGE"] as string);
const codes: string[] = [];
for (let i = 0; i < 21; i++) {
  const form = new FormData();
  form.append("operations", JSON.stringify({ query: "mutation ($file: Upload!) { stageImage(file: $file) { id } }", variables: { file: null } }));
  form.append("map", JSON.stringify({ 0: ["variables.file"] }));
  form.append("0", new Blob([image], { type: "image/jpeg" }), "photo.jpg");
  const response = await fetch(\`http://127.0.0.1:\${server.port}/graphql\`, {
    method: "POST",
    headers: { authorization: \`Bearer \${token}\`, "apollo-require-preflight": "true" },
    body: form,
  });
  const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
  codes.push(body.errors?.[0]?.extensions?.code ?? "STAGED");
}
await server.stop();
console.log("RESULT " + JSON.stringify(codes));
`;

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    lib: ["ES2023"],
    types: ["node"],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  },
  include: ["example.ts"],
};

describe('import … from "upstage/server", packed with npm pack', { timeout: 180_000 }, () => {
  it("installs the public API with its types, and the README's handler example runs against it", async () => {
    const project = await tempDir("adopter");
    const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", project], { cwd: root });
    const [packed] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
    const files = packed.files.map((file) => file.path);
    expect(files).toEqual(
      expect.arrayContaining(["dist/serverApi.js", "dist/serverApi.d.ts", "dist/main.js", "schema.graphql", "dist/web/profilePage.js"]),
    );
    expect(files.filter((file) => /^(src|test|migrations)\//.test(file) || file.endsWith(".map"))).toEqual([]);

    // Installed as npm lays a dependency out: the package in node_modules/upstage,
    // beside its dependencies (linked from this checkout's, so no network is needed).
    const modules = path.join(project, "node_modules");
    await fs.mkdir(path.join(modules, "upstage"), { recursive: true });
    await run("tar", ["xzf", path.join(project, packed.filename), "-C", path.join(modules, "upstage"), "--strip-components=1"]);
    for (const entry of await fs.readdir(path.join(root, "node_modules"))) {
      if (entry === "upstage" || entry.startsWith(".")) continue;
      await fs.symlink(path.join(root, "node_modules", entry), path.join(modules, entry));
    }
    await fs.writeFile(path.join(project, "package.json"), JSON.stringify({ name: "adopter", private: true, type: "module" }));
    await fs.writeFile(path.join(project, "tsconfig.json"), JSON.stringify(TSCONFIG));
    await fs.writeFile(path.join(project, "example.ts"), `${await readmeHandlerExample()}\n${DRIVER}`);
    const imageFile = path.join(project, "photo.jpg");
    await fs.writeFile(imageFile, await jpeg(64, 48));

    // The types: the example compiles against the package's declarations alone.
    await run(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", project], { cwd: project });

    const dataDir = await tempDir("adopter-data");
    const { stdout: output } = await run(process.execPath, ["--import", "tsx", "example.ts"], {
      cwd: project,
      env: {
        PATH: process.env["PATH"] ?? "",
        HOME: process.env["HOME"] ?? "",
        DATA_DIR: dataDir,
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "warn",
        EXAMPLE_IMAGE: imageFile,
      },
    });
    const result = output.split("\n").find((line) => line.startsWith("RESULT "));
    expect(result, output).toBeDefined();
    const codes = JSON.parse(result!.slice("RESULT ".length)) as string[];
    expect(codes).toEqual([...Array<string>(20).fill("STAGED"), "QUOTA_EXCEEDED"]);
  });
});
