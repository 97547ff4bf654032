import http from "node:http";
import fc from "fast-check";
import { ErrorCode } from "../../src/errors/ErrorCode.js";
import { readBody } from "./rawUpload.js";

/**
 * Randomly shaped GraphQL multipart requests, for the intake fuzz test
 * (test/uploads/multipartFuzz.test.ts) and its long campaign (`npm run fuzz`).
 */

/** The codes a refusal may carry: the contract's and Apollo's request-level ones, never an internal error. */
export const REFUSAL_CODES = new Set<string>([
  ...Object.values(ErrorCode).filter((code) => code !== ErrorCode.InternalServerError),
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
]);

const QUERY = "mutation ($file: Upload!) { stageImage(file: $file) { id } }";

type Part =
  | { readonly kind: "field"; readonly name: string | null; readonly value: string; readonly header: HeaderStyle }
  | {
      readonly kind: "file";
      readonly name: string | null;
      readonly filename: string;
      readonly content: "image" | "junk" | "empty";
      readonly header: HeaderStyle;
    };

/** How a part's headers are written: as a browser does, or oddly. */
type HeaderStyle = "plain" | "lowercase" | "extra-header" | "no-disposition" | "leading-space" | "no-blank-line" | "quoted-name";

export interface FuzzRequest {
  readonly boundary: string;
  readonly parts: readonly Part[];
  /** How the body ends: whole; cut at a fraction and declared that short; cut and the client leaves; or chunked. */
  readonly ending: { readonly kind: "whole" | "chunked" } | { readonly kind: "declared-short" | "client-leaves"; readonly at: number };
}

const operationsValues = fc.oneof(
  fc.constant(JSON.stringify({ query: QUERY, variables: { file: null } })),
  fc.constant(JSON.stringify({ query: QUERY, variables: { f: null } })),
  fc.constant(JSON.stringify([{ query: QUERY, variables: { file: null } }])),
  fc.constant("{ not json"),
  fc.constant("null"),
  fc.constant('"a string"'),
  fc.constant(JSON.stringify({ query: "{ viewer { id } }", variables: { file: null } })),
  fc.constant(JSON.stringify({ query: QUERY, variables: "" })),
  fc.string({ maxLength: 40 }),
);

const mapValues = fc.oneof(
  fc.constant('{"0":["variables.file"]}'),
  fc.constant('{"0":["variables.file"]}'),
  fc.constant('{"1":["variables.file"]}'),
  fc.constant('{"0":["variables.file","variables.file"]}'),
  fc.constant('{"0":["variables.file"],"1":["variables.other"]}'),
  fc.constant('{"0":["0.variables.file"]}'),
  fc.constant('{"0":["variables.__proto__.polluted"]}'),
  fc.constant('{"0":["variables.list.999999999"]}'),
  fc.constant('{"0":[]}'),
  fc.constant('{"0":null}'),
  fc.constant("[]"),
  fc.constant("{"),
  fc
    .dictionary(fc.string({ maxLength: 3 }), fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }), { maxKeys: 3 })
    .map((m) => JSON.stringify(m)),
);

const headerStyles = fc.constantFrom<HeaderStyle>(
  "plain",
  "plain",
  "plain",
  "plain",
  "lowercase",
  "extra-header",
  "no-disposition",
  "leading-space",
  "no-blank-line",
  "quoted-name",
);

const fieldNames = fc.oneof(fc.constant("operations"), fc.constant("map"), fc.constant(null), fc.string({ maxLength: 8 }));
const fileNames = fc.oneof(fc.constant("0"), fc.constant("0"), fc.constant("1"), fc.constant(null), fc.string({ maxLength: 4 }));

const part: fc.Arbitrary<Part> = fc.oneof(
  fc.record({ kind: fc.constant("field" as const), name: fc.constant("operations"), value: operationsValues, header: headerStyles }),
  fc.record({ kind: fc.constant("field" as const), name: fc.constant("map"), value: mapValues, header: headerStyles }),
  fc.record({ kind: fc.constant("field" as const), name: fieldNames, value: fc.string({ maxLength: 30 }), header: headerStyles }),
  fc.record({
    kind: fc.constant("file" as const),
    name: fileNames,
    filename: fc.oneof(
      fc.constant("photo.jpg"),
      fc.string({ maxLength: 20 }),
      fc.constant("../../etc/passwd"),
      fc.constant("a\u0000b.jpg"),
    ),
    content: fc.constantFrom("image" as const, "image" as const, "junk" as const, "empty" as const),
    header: headerStyles,
  }),
);

const validParts: Part[] = [
  { kind: "field", name: "operations", value: JSON.stringify({ query: QUERY, variables: { file: null } }), header: "plain" },
  { kind: "field", name: "map", value: '{"0":["variables.file"]}', header: "plain" },
  { kind: "file", name: "0", filename: "photo.jpg", content: "image", header: "plain" },
];

/** One change to a list of parts: move, drop, repeat, insert or rewrite one. */
type Mutation =
  | { op: "swap"; i: number; j: number }
  | { op: "drop" | "repeat"; i: number }
  | { op: "insert" | "replace"; i: number; part: Part }
  | { op: "header"; i: number; header: HeaderStyle };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("swap" as const), i: fc.nat(), j: fc.nat() }),
  fc.record({ op: fc.constant("drop" as const), i: fc.nat() }),
  fc.record({ op: fc.constant("repeat" as const), i: fc.nat() }),
  fc.record({ op: fc.constant("insert" as const), i: fc.nat(), part }),
  fc.record({ op: fc.constant("replace" as const), i: fc.nat(), part }),
  fc.record({ op: fc.constant("header" as const), i: fc.nat(), header: headerStyles }),
);

function mutate(list: Part[], change: Mutation): Part[] {
  const next = [...list];
  const at = (i: number) => (next.length === 0 ? 0 : i % next.length);
  switch (change.op) {
    case "swap":
      if (next.length > 1) [next[at(change.i)], next[at(change.j)]] = [next[at(change.j)]!, next[at(change.i)]!];
      break;
    case "drop":
      next.splice(at(change.i), 1);
      break;
    case "repeat":
      if (next.length > 0) next.splice(at(change.i), 0, next[at(change.i)]!);
      break;
    case "insert":
      next.splice(change.i % (next.length + 1), 0, change.part);
      break;
    case "replace":
      if (next.length > 0) next[at(change.i)] = change.part;
      break;
    case "header":
      if (next.length > 0) next[at(change.i)] = { ...next[at(change.i)]!, header: change.header };
      break;
  }
  return next;
}

/** Mostly a valid request with up to three changes (some with none), and some with anything at all. */
const parts: fc.Arbitrary<Part[]> = fc.oneof(
  { weight: 6, arbitrary: fc.array(mutation, { maxLength: 3 }).map((changes) => changes.reduce(mutate, validParts)) },
  { weight: 1, arbitrary: fc.array(part, { maxLength: 6 }) },
);

export const fuzzRequests: fc.Arbitrary<FuzzRequest> = fc.record({
  boundary: fc.oneof(fc.constant("----upstageBoundary7MA4YWxkTrZu0gW"), fc.stringMatching(/^[0-9A-Za-z'()+_,.-]{1,70}$/)),
  parts,
  ending: fc.oneof(
    { weight: 4, arbitrary: fc.constant({ kind: "whole" as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: "chunked" as const }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("declared-short" as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("client-leaves" as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  ),
});

function partHead(p: Part): string {
  const name = p.name === null ? "" : `; name="${p.name}"`;
  const disposition = `form-data${name}${p.kind === "file" ? `; filename="${p.filename}"` : ""}`;
  const type = p.kind === "file" ? "Content-Type: image/jpeg\r\n" : "";
  switch (p.header) {
    case "plain":
      return `Content-Disposition: ${disposition}\r\n${type}\r\n`;
    case "lowercase":
      return `content-disposition: ${disposition}\r\n${type.toLowerCase()}\r\n`;
    case "extra-header":
      return `X-Whatever: ${"x".repeat(50)}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`;
    case "no-disposition":
      return `${type}\r\n`;
    case "leading-space":
      return ` Content-Disposition: ${disposition}\r\n\r\n`;
    case "no-blank-line":
      return `Content-Disposition: ${disposition}\r\n`;
    case "quoted-name":
      return `Content-Disposition: form-data; name=${p.name ?? ""}\r\n\r\n`;
  }
}

/** The body bytes of a request; `image` is a small valid image. */
export function bodyOf(request: FuzzRequest, image: Buffer): Buffer {
  const chunks: Buffer[] = [];
  for (const p of request.parts) {
    chunks.push(Buffer.from(`--${request.boundary}\r\n${partHead(p)}`));
    if (p.kind === "field") chunks.push(Buffer.from(p.value));
    else
      chunks.push(p.content === "image" ? image : p.content === "junk" ? Buffer.from("not an image at all, just text") : Buffer.alloc(0));
    chunks.push(Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${request.boundary}--\r\n`));
  return Buffer.concat(chunks);
}

export interface FuzzOutcome {
  /** The answer, unless there was none. */
  readonly status?: number;
  readonly body?: any;
  /** True when the test's client left (or cut the body) on purpose. */
  readonly clientLeft: boolean;
  readonly error?: Error;
}

/** Sends one fuzz request to `graphqlUrl` and reports what came back. */
export function sendFuzzRequest(graphqlUrl: string, request: FuzzRequest, image: Buffer, token: string): Promise<FuzzOutcome> {
  const whole = bodyOf(request, image);
  const { ending } = request;
  const cut = "at" in ending ? Math.floor(whole.length * ending.at) : whole.length;
  const sent = whole.subarray(0, cut);
  const url = new URL(graphqlUrl);
  const headers: Record<string, string | number> = {
    "content-type": `multipart/form-data; boundary="${request.boundary}"`,
    authorization: `Bearer ${token}`,
    "apollo-require-preflight": "true",
  };
  if (ending.kind !== "chunked") headers["content-length"] = ending.kind === "declared-short" ? sent.length : whole.length;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: FuzzOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const clientLeft = ending.kind === "client-leaves";
    const client = http.request({ hostname: url.hostname, port: url.port, path: url.pathname, method: "POST", headers, agent: false });
    // A server that neither answers nor closes a complete request is a failure: report it as one.
    const timer = setTimeout(() => {
      client.destroy();
      finish({ clientLeft, error: new Error("no answer within 15 s") });
    }, 15_000);
    client.on("response", (response) => {
      // A body that breaks off is the request's error to report.
      readBody(response).then(
        (body) => finish({ status: response.statusCode!, body, clientLeft }),
        () => {},
      );
    });
    client.on("error", (error) => {
      // A refusal may close the connection while the rest of the body is still being written.
      setTimeout(() => finish({ clientLeft, error }), 50);
    });
    client.write(sent, () => {
      if (clientLeft) {
        client.destroy();
        finish({ clientLeft });
      } else client.end();
    });
  });
}
