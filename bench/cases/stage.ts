import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { stageFile } from "../../test/helpers/graphqlClient.js";
import { STAGE_ID, type Upstage } from "../lib/benchServers.js";
import type { CaseResult } from "../lib/report.js";
import { interleave } from "../lib/stats.js";

/** The baseline: sharp called directly for the same outputs (upright, stripped, ≤ 2048, two cover presets). */
async function stageWithSharp(input: string, dir: string): Promise<void> {
  const original = path.join(dir, "original.jpg");
  await sharp(input).autoOrient().resize({ width: 2048, height: 2048, fit: "inside", withoutEnlargement: true }).jpeg({ quality: 82, mozjpeg: true }).toFile(original);
  const normalized = sharp(original);
  await Promise.all(
    [125, 200].map((size) =>
      normalized.clone().resize({ width: size, height: size, fit: "cover", position: "attention" }).jpeg({ quality: 82, mozjpeg: true }).toFile(path.join(dir, `${size}.jpg`)),
    ),
  );
}

/** Stages `photo` as `username` and returns the milliseconds it took (the token is minted before the clock starts). */
async function timeStaging(upstage: Upstage, photo: Buffer, username: string): Promise<number> {
  const token = await upstage.token(username);
  const started = performance.now();
  const { body } = await stageFile(upstage.process.graphqlUrl, photo, { token, query: STAGE_ID });
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return performance.now() - started;
}

/**
 * B3: a large photo staged over HTTP, against sharp alone. Each round is a
 * new user, so each is decoded and encoded (dedupe shares files only within
 * one user's images). B3b: the same user staging the same bytes again, which
 * dedupe serves from the stored files, against B3's full staging.
 */
export async function stageCases(upstage: Upstage, photo: Buffer, label: string, rounds: number): Promise<CaseResult[]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "upstage-b3-"));
  const input = path.join(dir, "input.jpg");
  await fs.writeFile(input, photo);
  let round = 0;
  try {
    const staging = await interleave(
      rounds,
      () => timeStaging(upstage, photo, `b3-${round++}`),
      async () => {
        const started = performance.now();
        await stageWithSharp(input, dir);
        return performance.now() - started;
      },
    );
    await timeStaging(upstage, photo, "b3-again");
    const again = await interleave(
      rounds,
      () => timeStaging(upstage, photo, "b3-again"),
      () => timeStaging(upstage, photo, `b3-${round++}`),
    );
    return [
      {
        id: "B3",
        name: `stage a ${label} JPEG`,
        unit: "ms",
        higherIsBetter: false,
        samples: staging.a,
        baseline: { name: "sharp alone, same outputs", samples: staging.b },
        target: { ratioAtMost: 1.2 },
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
