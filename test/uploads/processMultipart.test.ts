import http from "node:http";
import type { AddressInfo } from "node:net";
import { text } from "node:stream/consumers";
import Upload from "graphql-upload/Upload.mjs";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/errors/ErrorCode.js";
import { UploadAbortedError } from "../../src/errors/UploadAbortedError.js";
import { UpstageError } from "../../src/errors/UpstageError.js";
import { type MultipartFile, type MultipartOptions, processMultipart } from "../../src/uploads/processMultipart.js";

/**
 * graphql-upload's own `processRequest` cases (processRequest.test.mjs),
 * ported: each runs the parser on a real node:http server and pins the
 * outcome to its contract code, HTTP status and message. Where upstage is
 * stricter than graphql-upload (an extraneous file, a file mapped twice, too
 * many files), the case says so.
 */

const SPEC = "(https://github.com/jaydenseric/graphql-multipart-request-spec)";
const DEFAULTS: MultipartOptions = { maxFieldSize: 1_000_000, maxFileSize: 1_000_000, maxFiles: 1 };

const servers: http.Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/**
 * Starts a server that runs `processMultipart` on its one request and hands
 * the result to `check`; `send` makes the request and resolves with what
 * `check` found (rethrowing its failure).
 */
async function parserServer(
  check: (parsed: ReturnType<typeof processMultipart>, request: http.IncomingMessage) => Promise<void>,
  options: Partial<MultipartOptions> = {},
) {
  let outcome: Promise<void> | undefined;
  let arrived!: () => void;
  const received = new Promise<void>((resolve) => (arrived = resolve));
  const server = http.createServer((request, response) => {
    arrived();
    outcome = check(processMultipart(request, { ...DEFAULTS, ...options }), request).finally(() => response.end());
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    received,
    async send(body: FormData | string, headers: Record<string, string> = {}) {
      await fetch(url, { method: "POST", body, headers })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined);
      await outcome;
    },
    /** What `check` found, for a request the test sends itself. */
    get outcome() {
      return outcome;
    },
  };
}

function form(parts: [string, string | File][]): FormData {
  const body = new FormData();
  for (const [name, value] of parts) body.append(name, value);
  return body;
}

const file = (content: string, name = "a.txt") => new File([content], name, { type: "text/plain" });

/** A file's content; fails when opening or reading it fails (a refusal may come before the reader does). */
const readAll = async (upload: MultipartFile) => text(upload.createReadStream());

async function fileOf(value: unknown): Promise<MultipartFile> {
  expect(value).toBeInstanceOf(Upload);
  return (await (value as Upload).promise) as MultipartFile;
}

/** Expects a refusal with `code`, its HTTP status, and a message matching `message`. */
async function expectRefusal(promise: Promise<unknown>, code: ErrorCode, message: string | RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstageError);
  const refusal = error as UpstageError;
  expect(refusal.code).toBe(code);
  expect(refusal.status).toBe(code === ErrorCode.FileTooLarge ? 413 : 400);
  if (typeof message === "string") expect(refusal.message).toBe(message);
  else expect(refusal.message).toMatch(message);
}

describe("processMultipart: graphql-upload's cases", () => {
  it("No files.", async () => {
    const operation = { variables: { a: true } };
    const s = await parserServer(async ({ operations }) => {
      expect(await operations).toEqual(operation);
    });
    await s.send(
      form([
        ["operations", JSON.stringify(operation)],
        ["map", "{}"],
      ]),
    );
  });

  it("A single file, file name chars `latin1`.", async () => {
    const s = await parserServer(async ({ operations }) => {
      const upload = await fileOf(((await operations) as any).variables.file);
      expect(upload.filename).toBe("a.txt");
      expect(upload.mimetype).toBe("text/plain");
      expect(upload.encoding).toBe("7bit");
      expect(await text(upload.createReadStream())).toBe("a");
    });
    await s.send(
      form([
        ["operations", JSON.stringify({ variables: { file: null } })],
        ["map", '{"1":["variables.file"]}'],
        ["1", file("a")],
      ]),
    );
  });

  it("A single file, file name chars non `latin1`.", async () => {
    const fileName = "你好.txt";
    const s = await parserServer(async ({ operations }) => {
      const upload = await fileOf(((await operations) as any).variables.file);
      expect(upload.filename).toBe(fileName);
      expect(await text(upload.createReadStream())).toBe("a");
    });
    await s.send(
      form([
        ["operations", JSON.stringify({ variables: { file: null } })],
        ["map", '{"1":["variables.file"]}'],
        ["1", file("a", fileName)],
      ]),
    );
  });

  it("A single file, batched.", async () => {
    const s = await parserServer(
      async ({ operations }) => {
        const [a, b] = (await operations) as any[];
        const uploadA = await fileOf(a.variables.file);
        expect(uploadA.filename).toBe("a.txt");
        expect(await text(uploadA.createReadStream())).toBe("a");
        const uploadB = await fileOf(b.variables.file);
        expect(uploadB.filename).toBe("b.txt");
        expect(await text(uploadB.createReadStream())).toBe("b");
      },
      { maxFiles: 2 },
    );
    await s.send(
      form([
        ["operations", JSON.stringify([{ variables: { file: null } }, { variables: { file: null } }])],
        ["map", JSON.stringify({ 1: ["0.variables.file"], 2: ["1.variables.file"] })],
        ["1", file("a", "a.txt")],
        ["2", file("b", "b.txt")],
      ]),
    );
  });

  it("Deduped files (one file mapped to two variables): refused here, BAD_USER_INPUT naming both.", async () => {
    const s = await parserServer(async ({ operations }) => {
      await expectRefusal(
        operations,
        ErrorCode.BadUserInput,
        "The file ‘1’ is mapped to 2 variables (variables.files.0, variables.files.1); map each file to one.",
      );
    });
    await s.send(
      form([
        ["operations", JSON.stringify({ variables: { files: [null, null] } })],
        ["map", JSON.stringify({ 1: ["variables.files.0", "variables.files.1"] })],
        ["1", file("a")],
      ]),
    );
  });

  it("Unconsumed uploads: a file nobody reads does not keep the others from being read.", async () => {
    const s = await parserServer(
      async ({ operations }) => {
        const { variables } = (await operations) as any;
        const uploadB = await fileOf(variables.fileB);
        expect(await text(uploadB.createReadStream())).toBe("b");
      },
      { maxFiles: 2 },
    );
    await s.send(
      form([
        ["operations", JSON.stringify({ variables: { fileA: null, fileB: null } })],
        ["map", JSON.stringify({ 1: ["variables.fileA"], 2: ["variables.fileB"] })],
        ["1", file("a")],
        ["2", file("b", "b.txt")],
      ]),
    );
  });

  it("An extraneous multipart form field file: refused here, BAD_USER_INPUT, through the file's stream.", async () => {
    const s = await parserServer(async ({ operations }) => {
      const upload = await fileOf(((await operations) as any).variables.file);
      expect(upload.filename).toBe("a.txt");
      await expectRefusal(
        readAll(upload),
        ErrorCode.BadUserInput,
        "The file part ‘2’ is not named in the ‘map’ multipart field; send only the files it names.",
      );
    });
    await s.send(
      form([
        ["operations", JSON.stringify({ variables: { file: null } })],
        ["map", '{"1":["variables.file"]}'],
        ["1", file("a")],
        ["2", file("b")],
      ]),
    );
  });

  it("A missing multipart form field file.", async () => {
    const s = await parserServer(async ({ operations }) => {
      const { variables } = (await operations) as any;
      expect(variables.file).toBeInstanceOf(Upload);
      await expectRefusal(variables.file.promise, ErrorCode.BadUserInput, "File missing in the request: ‘1’.");
    });
    await s.send(
      form([
        ["operations", JSON.stringify({ variables: { file: null } })],
        ["map", '{"1":["variables.file"]}'],
      ]),
    );
  });

  it("Option `maxFiles`: BAD_USER_INPUT here (FILE_TOO_LARGE is for a file's size only).", async () => {
    const s = await parserServer(
      async ({ operations }) => {
        await expectRefusal(
          operations,
          ErrorCode.BadUserInput,
          "The ‘map’ multipart field names 2 files; at most 1 may be sent in one request.",
        );
      },
      { maxFiles: 1 },
    );
    await s.send(
      form([
        ["operations", JSON.stringify({ variables: { files: [null, null] } })],
        ["map", JSON.stringify({ 1: ["variables.files.0"], 2: ["variables.files.1"] })],
        ["1", file("a")],
        ["2", file("b")],
      ]),
    );
  });

  it("Option `maxFiles` and an interspersed extraneous file.", async () => {
    const s = await parserServer(
      async ({ operations }) => {
        const { variables } = (await operations) as any;
        const uploadA = await fileOf(variables.files[0]);
        await expectRefusal(
          readAll(uploadA),
          ErrorCode.BadUserInput,
          "The file part ‘extraneous’ is not named in the ‘map’ multipart field; send only the files it names.",
        );
        await expectRefusal(variables.files[1].promise, ErrorCode.BadUserInput, /not named in the ‘map’/);
      },
      { maxFiles: 2 },
    );
    await s.send(
      form([
        ["operations", JSON.stringify({ variables: { files: [null, null] } })],
        ["map", JSON.stringify({ 1: ["variables.files.0"], 2: ["variables.files.1"] })],
        ["1", file("a")],
        ["extraneous", file("c")],
        ["2", file("b")],
      ]),
    );
  });

  it("Option `maxFileSize`: FILE_TOO_LARGE.", async () => {
    const s = await parserServer(
      async ({ operations }) => {
        const upload = await fileOf(((await operations) as any).variables.file);
        await expectRefusal(readAll(upload), ErrorCode.FileTooLarge, "The file is larger than the limit of 2 bytes.");
      },
      { maxFileSize: 2 },
    );
    await s.send(
      form([
        ["operations", JSON.stringify({ variables: { file: null } })],
        ["map", '{"1":["variables.file"]}'],
        ["1", file("aaa")],
      ]),
    );
  });

  it("Option `maxFieldSize`: BAD_USER_INPUT.", async () => {
    const s = await parserServer(
      async ({ operations }) => {
        await expectRefusal(operations, ErrorCode.BadUserInput, "The ‘operations’ multipart field value exceeds the 1 byte size limit.");
      },
      { maxFieldSize: 1 },
    );
    await s.send(
      form([
        ["operations", JSON.stringify({ variables: { file: null } })],
        ["map", '{"1":["variables.file"]}'],
        ["1", file("a")],
      ]),
    );
  });

  it("An aborted request and immediate stream creation: the stream fails as an abort.", async () => {
    let streamed!: () => void;
    const reading = new Promise<void>((resolve) => (streamed = resolve));
    const s = await parserServer(async ({ operations }) => {
      const upload = await fileOf(((await operations) as any).variables.file);
      const stream = upload.createReadStream();
      stream.once("data", () => streamed());
      await expect(text(stream)).rejects.toBeInstanceOf(UploadAbortedError);
    });
    await abortingRequest(s.url, 100_000, reading);
    await s.outcome;
  });

  it("An aborted request and delayed stream creation: opening the stream fails as an abort.", async () => {
    let aborted!: () => void;
    const gone = new Promise<void>((resolve) => (aborted = resolve));
    const s = await parserServer(async ({ operations }, request) => {
      const upload = await fileOf(((await operations) as any).variables.file);
      if (!request.destroyed) await new Promise((resolve) => request.once("close", resolve));
      aborted();
      expect(() => upload.createReadStream()).toThrow(UploadAbortedError);
    });
    await abortingRequest(s.url, 100_000, s.received);
    await gone;
    await s.outcome;
  });

  it("Multipart form field `map` misordered before `operations`.", async () => {
    const s = await parserServer(async ({ operations }) => {
      await expectRefusal(operations, ErrorCode.BadUserInput, `Misordered multipart fields; ‘map’ should follow ‘operations’ ${SPEC}.`);
    });
    await s.send(
      form([
        ["map", '{"1":["variables.file"]}'],
        ["operations", JSON.stringify({ variables: { file: null } })],
        ["1", file("a")],
      ]),
    );
  });

  it("Multipart form field file misordered before `map`.", async () => {
    const s = await parserServer(async ({ operations }) => {
      await expectRefusal(operations, ErrorCode.BadUserInput, `Misordered multipart fields; files should follow ‘map’ ${SPEC}.`);
    });
    await s.send(
      form([
        ["operations", JSON.stringify({ variables: { file: null } })],
        ["1", file("a")],
        ["map", '{"1":["variables.file"]}'],
      ]),
    );
  });

  it("A file before every field (the request that used to end the process).", async () => {
    const s = await parserServer(async ({ operations }) => {
      await expectRefusal(operations, ErrorCode.BadUserInput, `Misordered multipart fields; files should follow ‘map’ ${SPEC}.`);
    });
    await s.send(
      form([
        ["0", file("a".repeat(200_000))],
        ["operations", JSON.stringify({ variables: { f: null } })],
        ["map", '{"0":["variables.f"]}'],
      ]),
    );
  });

  it("Multipart form fields `map` and file missing.", async () => {
    const s = await parserServer(async ({ operations }) => {
      await expectRefusal(operations, ErrorCode.BadUserInput, `Missing multipart field ‘map’ ${SPEC}.`);
    });
    await s.send(form([["operations", JSON.stringify({ variables: { file: null } })]]));
  });

  it("Multipart form fields `operations`, `map` and file missing.", async () => {
    const s = await parserServer(async ({ operations }) => {
      await expectRefusal(operations, ErrorCode.BadUserInput, `Missing multipart field ‘operations’ ${SPEC}.`);
    });
    await s.send(new FormData());
  });

  for (const size of [1, 70_000]) {
    it(`Invalid multipart form field \`operations\` JSON and a file of ${size} bytes.`, async () => {
      const s = await parserServer(async ({ operations }) => {
        await expectRefusal(operations, ErrorCode.BadUserInput, `Invalid JSON in the ‘operations’ multipart field ${SPEC}.`);
      });
      await s.send(
        form([
          ["operations", "{ variables: { file: null } }"],
          ["map", '{"1":["variables.file"]}'],
          ["1", file("a".repeat(size))],
        ]),
      );
    });
  }

  for (const [type, value] of [
    ["null", null],
    ["boolean", true],
    ["string", ""],
  ] as const) {
    it(`Invalid multipart form field \`operations\` type, ${type}.`, async () => {
      const s = await parserServer(async ({ operations }) => {
        await expectRefusal(operations, ErrorCode.BadUserInput, `Invalid type for the ‘operations’ multipart field ${SPEC}.`);
      });
      await s.send(
        form([
          ["operations", JSON.stringify(value)],
          ["map", '{"1":["variables.file"]}'],
          ["1", file("a")],
        ]),
      );
    });
  }

  it("Invalid multipart form field `map` JSON.", async () => {
    const s = await parserServer(async ({ operations }) => {
      await expectRefusal(operations, ErrorCode.BadUserInput, `Invalid JSON in the ‘map’ multipart field ${SPEC}.`);
    });
    await s.send(
      form([
        ["operations", JSON.stringify({ variables: { file: null } })],
        ["map", "{ 1: ['variables.file'] }"],
        ["1", file("a")],
      ]),
    );
  });

  for (const [type, value] of [
    ["null", null],
    ["array", []],
    ["boolean", true],
    ["string", ""],
  ] as const) {
    it(`Invalid multipart form field \`map\` type, ${type}.`, async () => {
      const s = await parserServer(async ({ operations }) => {
        await expectRefusal(operations, ErrorCode.BadUserInput, `Invalid type for the ‘map’ multipart field ${SPEC}.`);
      });
      await s.send(
        form([
          ["operations", JSON.stringify({ variables: { file: null } })],
          ["map", JSON.stringify(value)],
          ["1", file("a")],
        ]),
      );
    });
  }

  it("Invalid multipart form field `map` entry type.", async () => {
    const s = await parserServer(async ({ operations }) => {
      await expectRefusal(operations, ErrorCode.BadUserInput, `Invalid type for the ‘map’ multipart field entry key ‘1’ array ${SPEC}.`);
    });
    await s.send(
      form([
        ["operations", JSON.stringify({ variables: { file: null } })],
        ["map", JSON.stringify({ 1: null })],
        ["1", file("a")],
      ]),
    );
  });

  it("Invalid multipart form field `map` entry array item type.", async () => {
    const s = await parserServer(async ({ operations }) => {
      await expectRefusal(
        operations,
        ErrorCode.BadUserInput,
        `Invalid type for the ‘map’ multipart field entry key ‘1’ array index ‘0’ value ${SPEC}.`,
      );
    });
    await s.send(
      form([
        ["operations", JSON.stringify({ variables: { file: null } })],
        ["map", JSON.stringify({ 1: [null] })],
        ["1", file("a")],
      ]),
    );
  });

  it("Invalid multipart form field `map` entry array item object path.", async () => {
    const s = await parserServer(async ({ operations }) => {
      await expectRefusal(
        operations,
        ErrorCode.BadUserInput,
        `Invalid object path for the ‘map’ multipart field entry key ‘1’ array index ‘0’ value ‘variables.file’ ${SPEC}.`,
      );
    });
    await s.send(
      form([
        ["operations", JSON.stringify({ variables: "" })],
        ["map", JSON.stringify({ 1: ["variables.file"] })],
        ["1", file("a")],
      ]),
    );
  });

  it("An unparsable multipart request.", async () => {
    const boundary = "abcde";
    const s = await parserServer(async ({ operations }) => {
      await expectRefusal(operations, ErrorCode.BadUserInput, "Malformed multipart request: Unexpected end of form.");
    });
    await s.send(`--${boundary}\r\nContent-Disposition`, { "content-type": `multipart/form-data; boundary=${boundary}` });
  });

  it("A maliciously malformed multipart request.", async () => {
    const boundary = "abcde";
    const s = await parserServer(async ({ operations }) => {
      await expectRefusal(operations, ErrorCode.BadUserInput, "Malformed multipart request: Malformed part header.");
    });
    // An invalid space at the start of the header name (graphql-upload#311).
    await s.send(`--${boundary}\r\n Content-Disposition: form-data;`, { "content-type": `multipart/form-data; boundary=${boundary}` });
  });
});

describe("processMultipart: the stricter rules", () => {
  const ops = JSON.stringify({ variables: { file: null } });

  it("refuses a second `operations` field", async () => {
    const s = await parserServer(async ({ operations }) => {
      await expectRefusal(operations, ErrorCode.BadUserInput, `The ‘operations’ multipart field appears more than once ${SPEC}.`);
    });
    await s.send(
      form([
        ["operations", ops],
        ["operations", ops],
        ["map", '{"1":["variables.file"]}'],
        ["1", file("a")],
      ]),
    );
  });

  it("refuses a field the spec does not call for", async () => {
    const s = await parserServer(async ({ operations }) => {
      await expect(operations).resolves.toBeTruthy();
      const upload = await fileOf(((await operations) as any).variables.file);
      await expectRefusal(readAll(upload), ErrorCode.BadUserInput, /Unexpected multipart field ‘extra’/);
    });
    await s.send(
      form([
        ["operations", ops],
        ["map", '{"1":["variables.file"]}'],
        ["1", file("a")],
        ["extra", "x"],
      ]),
    );
  });

  it("refuses a file part that comes twice", async () => {
    const s = await parserServer(async ({ operations }) => {
      const upload = await fileOf(((await operations) as any).variables.file);
      await expectRefusal(readAll(upload), ErrorCode.BadUserInput, "The file part ‘1’ appears more than once.");
    });
    await s.send(
      form([
        ["operations", ops],
        ["map", '{"1":["variables.file"]}'],
        ["1", file("a")],
        ["1", file("b")],
      ]),
    );
  });

  it("refuses a map path outside the variables", async () => {
    const s = await parserServer(async ({ operations }) => {
      await expectRefusal(operations, ErrorCode.BadUserInput, /Invalid object path .* value ‘query’/);
    });
    await s.send(
      form([
        ["operations", JSON.stringify({ query: "{ a }" })],
        ["map", '{"1":["query"]}'],
        ["1", file("a")],
      ]),
    );
  });

  it("refuses a map path into a huge array index", async () => {
    const s = await parserServer(async ({ operations }) => {
      await expectRefusal(operations, ErrorCode.BadUserInput, /Invalid object path .* value ‘variables\.list\.999999999’/);
    });
    await s.send(
      form([
        ["operations", JSON.stringify({ variables: { list: [] } })],
        ["map", '{"1":["variables.list.999999999"]}'],
        ["1", file("a")],
      ]),
    );
  });

  it("refuses a map entry that names no variable", async () => {
    const s = await parserServer(async ({ operations }) => {
      await expectRefusal(
        operations,
        ErrorCode.BadUserInput,
        "The ‘map’ multipart field entry key ‘1’ names no variable; map each file to one.",
      );
    });
    await s.send(
      form([
        ["operations", ops],
        ["map", '{"1":[]}'],
        ["1", file("a")],
      ]),
    );
  });

  it("refuses a body without a boundary", async () => {
    const s = await parserServer(async ({ operations }) => {
      await expectRefusal(operations, ErrorCode.BadUserInput, /^Malformed multipart request: /);
    });
    await s.send("whatever", { "content-type": "multipart/form-data" });
  });

  it("lets a file stream be read once; a second reader gets BAD_USER_INPUT", async () => {
    const s = await parserServer(async ({ operations }) => {
      const upload = await fileOf(((await operations) as any).variables.file);
      const stream = upload.createReadStream();
      expect(() => upload.createReadStream()).toThrow(/can be read once/);
      expect(await text(stream)).toBe("a");
    });
    await s.send(
      form([
        ["operations", ops],
        ["map", '{"1":["variables.file"]}'],
        ["1", file("a")],
      ]),
    );
  });

  it("rejects at once, as an abort, a request whose client left before it was read", async () => {
    const request = await requestGoneBeforeRead();
    await expect(processMultipart(request, DEFAULTS).operations).rejects.toBeInstanceOf(UploadAbortedError);
  });
});

/** Sends operations, map and a file of `fileBytes`, and goes away `abortWhen` the server is reading it. */
async function abortingRequest(url: string, fileBytes: number, abortWhen: Promise<unknown>): Promise<void> {
  const boundary = "abort";
  const { port } = new URL(url);
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"variables":{"file":null}}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"1":["variables.file"]}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="1"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n`;
  const client = http.request({
    port: Number(port),
    host: "127.0.0.1",
    method: "POST",
    headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": head.length + fileBytes + 100 },
  });
  client.on("error", () => {});
  client.write(head);
  client.write("a".repeat(fileBytes / 2));
  await abortWhen;
  client.destroy();
}

/**
 * A real connection whose client sends a multipart head and goes away before
 * the server gets round to reading it (as when the token check is slow).
 */
async function requestGoneBeforeRead(): Promise<http.IncomingMessage> {
  let server!: http.Server;
  const arrived = new Promise<http.IncomingMessage>((resolve) => {
    server = http.createServer((request) => request.once("close", () => resolve(request)));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const boundary = "gone";
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"mutation($f: Upload!) { stageImage(file: $f) { id } }","variables":{"f":null}}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.f"]}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
  const client = http.request({
    port,
    host: "127.0.0.1",
    method: "POST",
    path: "/graphql",
    headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": head.length + 100_000 },
  });
  client.on("error", () => {});
  client.write(head, () => client.destroy());
  return arrived;
}
