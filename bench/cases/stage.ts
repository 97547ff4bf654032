import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { stageFile } from "../../test/helpers/graphqlClient.js";
import { STAGE_ID, type Upstage } from "../lib/benchServers.js";
import type { CaseResult } from "../lib/report.js";
import { interleave, median } from "../lib/stats.js";

/** The floor: every pixel of the upload must be decoded once, so sharp decoding it to raw pixels is as fast as staging can be. */
async function decodeWithSharp(input: string): Promise<void> {
  await sharp(input).raw().toBuffer();
}

/**
 * The old recipe, in sharp alone: the same outputs (upright, stripped, ≤ 2048,
 * two cover presets) as upstage made them before one decode: mozjpeg, and the
 * presets decoded again from the stored original.
 */
async function stageWithSharp(input: string, dir: string): Promise<void> {
  const original = path.join(dir, "original.jpg");
  await sharp(input)
    .autoOrient()
    .resize({ width: 2048, height: 2048, fit: "inside", withoutEnlargement: true })
    .jpeg({ quality: 82, mozjpeg: true })
    .toFile(original);
  const normalized = sharp(original);
  await Promise.all(
    [125, 200].map((size) =>
      normalized
        .clone()
        .resize({ width: size, height: size, fit: "cover", position: "attention" })
        .jpeg({ quality: 82, mozjpeg: true })
        .toFile(path.join(dir, `${size}.jpg`)),
    ),
  );
}

interface Timing {
  /** What the client waited, in ms. */
  readonly total: number;
  /** PROCESSING to READY by the server's clock. */
  readonly processing: number;
  /** From the request's start to PROCESSING (the body's way in), and from READY to the answer's end; the same machine's clock. */
  readonly receiving: number;
  readonly answering: number;
}

const WATCH = "subscription ($id: ID!) { uploadProgress(uploadId: $id) { phase at } }";

/**
 * Stages `photo` as `username`, watched. Returns the milliseconds the client
 * waited for the answer (the token and the subscription are made before the
 * clock starts), and the milliseconds from the last byte received
 * (PROCESSING) to READY, by the server's clock.
 */
async function timeStaging(upstage: Upstage, photo: Buffer, username: string): Promise<Timing> {
  const token = await upstage.token(username);
  const client = upstage.ws(token);
  const uploadId = randomUUID();
  const at: Record<string, number> = {};
  try {
    const watched = new Promise<void>((resolve, reject) => {
      client.subscribe(
        { query: WATCH, variables: { id: uploadId } },
        {
          next: ({ data }) => {
            at[(data as any).uploadProgress.phase] = Date.parse((data as any).uploadProgress.at);
          },
          error: reject,
          complete: resolve,
        },
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    const sentAt = Date.now();
    const { body } = await stageFile(upstage.process.graphqlUrl, photo, { token, query: STAGE_ID, uploadId });
    const total = performance.now() - started;
    const answeredAt = Date.now();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    await watched;
    return {
      total,
      processing: at["READY"]! - at["PROCESSING"]!,
      receiving: at["PROCESSING"]! - sentAt,
      answering: answeredAt - at["READY"]!,
    };
  } finally {
    await client.dispose();
  }
}

/**
 * B3: a large photo staged over HTTP (multipart in, answer out), against the
 * floor of decoding it once with sharp; B3o: the same samples against the old
 * recipe. B3p: from the last byte received to READY. Each round is a new
 * user, so each is decoded and encoded (dedupe shares files only within one
 * user's images). B3b: the same user staging the same bytes again, which
 * dedupe serves from the stored files, against B3's full staging.
 */
export async function stageCases(upstage: Upstage, photo: Buffer, label: string, rounds: number): Promise<CaseResult[]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "upstage-b3-"));
  const input = path.join(dir, "input.jpg");
  await fs.writeFile(input, photo);
  let round = 0;
  try {
    const staged: Timing[] = [];
    const floor: number[] = [];
    const oldRecipe: number[] = [];
    const time = async (job: () => Promise<void>) => {
      const started = performance.now();
      await job();
      return performance.now() - started;
    };
    for (let i = 0; i < rounds; i++) {
      staged.push(await timeStaging(upstage, photo, `b3-${round++}`));
      floor.push(await time(() => decodeWithSharp(input)));
      oldRecipe.push(await time(() => stageWithSharp(input, dir)));
    }
    await timeStaging(upstage, photo, "b3-again");
    const again = await interleave(
      rounds,
      async () => (await timeStaging(upstage, photo, "b3-again")).total,
      async () => (await timeStaging(upstage, photo, `b3-${round++}`)).total,
    );
    const totals = staged.map((s) => s.total);
    const processing = staged.map((s) => s.processing);
    return [
      {
        id: "B3",
        name: `stage a ${label} JPEG end to end (multipart in, answer out)`,
        unit: "ms",
        higherIsBetter: false,
        samples: totals,
        baseline: { name: "sharp decoding it to raw pixels", samples: floor },
        target: { ratioAtMost: 1.6 },
      },
      {
        id: "B3o",
        name: `stage the ${label} JPEG, against the old recipe`,
        unit: "ms",
        higherIsBetter: false,
        samples: totals,
        baseline: { name: "sharp alone, same outputs, mozjpeg, two decodes", samples: oldRecipe },
        target: { text: "reported" },
      },
      {
        id: "B3p",
        name: `from the ${label} JPEG's last byte received to READY`,
        unit: "ms",
        higherIsBetter: false,
        samples: processing,
        baseline: { name: "sharp decoding it to raw pixels", samples: floor },
        target: { text: "reported" },
        notes: `PROCESSING to READY by the server's clock: ${processing.map((ms) => ms.toFixed(0)).join(", ")} ms; the rest of B3, medians: from the request's start to PROCESSING (the body's way in) ${median(staged.map((s) => s.receiving)).toFixed(0)} ms, from READY to the answer ${median(staged.map((s) => s.answering)).toFixed(0)} ms`,
      },
      {
        id: "B3b",
        name: `stage the same ${label} JPEG again (content-hash dedupe)`,
        unit: "ms",
        higherIsBetter: false,
        samples: again.a,
        baseline: { name: "staging it as a new user", samples: again.b },
        target: { ratioAtMost: 0.2 },
      },
    ];
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
