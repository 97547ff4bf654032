import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jpeg } from "../helpers/images.js";
import { type ServerProcess, spawnServer, tokenFor } from "../helpers/spawnServer.js";
import { seedEmbeddedDatabase } from "../helpers/testDatabases.js";

/**
 * Malformed multipart requests sent to a real `npm start` process, as an
 * attacker with a token would: each is answered with its code, and the
 * process is still there to answer the next.
 */
let server: ServerProcess;
let dataDir: string;
let token: string;
let image: Buffer;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "upstage-intake-"));
  await seedEmbeddedDatabase(dataDir);
  server = await spawnServer({ DATA_DIR: dataDir });
  token = await tokenFor(dataDir, "mallory");
  image = await jpeg(40, 30);
});

afterAll(async () => {
  server?.child.kill("SIGTERM");
  await server?.exited;
  await fs.rm(dataDir, { recursive: true, force: true });
});

const operations = JSON.stringify({ query: "mutation($f: Upload!){ stageImage(file: $f){ id } }", variables: { f: null } });

async function send(parts: [string, string | Blob, string?][]): Promise<{ status: number; code: string | undefined; message: string }> {
  const form = new FormData();
  for (const [name, value, filename] of parts) {
    if (typeof value === "string") form.append(name, value);
    else form.append(name, value, filename);
  }
  const response = await fetch(server.graphqlUrl, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "apollo-require-preflight": "1" },
    body: form,
  });
  const body = (await response.json()) as any;
  return { status: response.status, code: body.errors?.[0]?.extensions?.code, message: body.errors?.[0]?.message ?? "" };
}

describe("an attacker's multipart requests against a running process", () => {
  it("a file before operations and map (the request that used to end the process): BAD_USER_INPUT, and the process stays up", async () => {
    const answer = await send([
      ["0", new Blob([image]), "avatar.jpg"],
      ["operations", operations],
      ["map", '{"0":["variables.f"]}'],
    ]);
    expect(answer).toMatchObject({ status: 400, code: "BAD_USER_INPUT" });
    expect(answer.message).toMatch(/files should follow ‘map’/);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it.each([
    [
      "a file part map does not name",
      [
        ["operations", operations],
        ["map", '{"0":["variables.f"]}'],
        ["0", new Blob([image]), "a.jpg"],
        ["9", new Blob([image]), "b.jpg"],
      ],
      /not named in the ‘map’/,
    ],
    [
      "a file mapped to two variables",
      [
        ["operations", operations],
        ["map", '{"0":["variables.f","variables.g"]}'],
        ["0", new Blob([image]), "a.jpg"],
      ],
      /mapped to 2 variables/,
    ],
    [
      "the same file part twice",
      [
        ["operations", operations],
        ["map", '{"0":["variables.f"]}'],
        ["0", new Blob([image]), "a.jpg"],
        ["0", new Blob([image]), "a.jpg"],
      ],
      /appears more than once/,
    ],
    [
      "two files where one is allowed",
      [
        ["operations", operations],
        ["map", '{"0":["variables.f"],"1":["variables.g"]}'],
        ["0", new Blob([image]), "a.jpg"],
        ["1", new Blob([image]), "b.jpg"],
      ],
      /at most 1/,
    ],
    [
      "an extra field",
      [
        ["operations", operations],
        ["map", '{"0":["variables.f"]}'],
        ["extra", "x"],
        ["0", new Blob([image]), "a.jpg"],
      ],
      /Unexpected multipart field ‘extra’/,
    ],
  ] as const)("%s: BAD_USER_INPUT saying which", async (_name, parts, message) => {
    const answer = await send(parts as unknown as [string, string | Blob, string?][]);
    expect(answer).toMatchObject({ status: 400, code: "BAD_USER_INPUT" });
    expect(answer.message).toMatch(message);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("leaves no scratch file and no row behind, and still stages a good upload", async () => {
    const answer = await send([
      ["operations", operations],
      ["map", '{"0":["variables.f"]}'],
      ["0", new Blob([image]), "a.jpg"],
    ]);
    expect(answer.status).toBe(200);
    const scratch = await fs.readdir(path.join(dataDir, "tmp"), { recursive: true, withFileTypes: true });
    expect(scratch.filter((entry) => entry.isFile())).toEqual([]);
    expect(server.output()).not.toMatch(/Unhandled|uncaught/i);
  });
});
