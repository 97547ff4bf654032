/**
 * `npm run bench`: each case against its baseline in the same run, on loopback.
 * Writes bench/results.json and bench/results.md (the table bench/README.md shows).
 * `npm run bench -- --smoke` runs every case with tiny sizes (CI does, so the
 * benchmark cannot rot) and writes bench/results.smoke.*.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { directUploadCase } from "./cases/directUploads.js";
import { memoryCases } from "./cases/memory.js";
import { onDemandCase } from "./cases/onDemand.js";
import { qualityMarkdown, qualityRows } from "./cases/quality.js";
import { receiveCase } from "./cases/receive.js";
import { servingCase } from "./cases/serving.js";
import { stageCases } from "./cases/stage.js";
import { throughputCases } from "./cases/throughput.js";
import { tusReceiveCase } from "./cases/tusReceive.js";
import { startUpstage } from "./lib/benchServers.js";
import { photoJpeg } from "./lib/photo.js";
import { type CaseResult, toMarkdown, toRow } from "./lib/report.js";

const smoke = process.argv.includes("--smoke");
/**
 * `--only B3,B4`: run just those groups of cases (B1, B2, B3, B4 with B5 and B8, B6, B7, B9, B10, Q); results go
 * to bench/results.only.*.
 */
const only = process.argv
  .find((arg) => arg.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",");
const runs = (group: string) => !only || only.includes(group);
const scale = smoke
  ? {
      receiveMiB: 4,
      rounds: 1,
      bigMiB: 16,
      concurrent: 2,
      eachMiB: 4,
      stage: [800, 600],
      uploads: 4,
      servingSeconds: 1,
      sizes: 2,
      tusMiB: 12,
      directPhotos: 4,
    }
  : {
      receiveMiB: 256,
      rounds: 3,
      bigMiB: 1024,
      concurrent: 8,
      eachMiB: 128,
      stage: [4000, 3000],
      uploads: 100,
      servingSeconds: 5,
      sizes: 10,
      tusMiB: 64,
      directPhotos: 24,
    };

async function main(): Promise<void> {
  // The sharp-alone baseline gets the threads the server gives libvips (IMAGE_THREADS' default).
  sharp.concurrency(os.availableParallelism());
  const here = path.dirname(fileURLToPath(import.meta.url));
  const machine = {
    node: process.version,
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
    "sharp.concurrency()": sharp.concurrency(),
    UV_THREADPOOL_SIZE: process.env["UV_THREADPOOL_SIZE"] ?? "unset (4)",
    CPUs: `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}`,
    memory: `${Math.round(os.totalmem() / 1024 ** 3)} GiB`,
  };
  const log = (line: string) => console.log(`bench: ${line}`);
  const [width, height] = scale.stage as [number, number];
  // Quality 80: 2.8 MB at 12 MP, as a phone writes it.
  const bigPhoto = await photoJpeg(width, height, 80);
  // About 2 MB, as a phone photo scaled for upload.
  const twoMegabytes = smoke ? await photoJpeg(300, 200) : await photoJpeg(1600, 1200, 97);

  const results: CaseResult[] = [];
  const upstage = await startUpstage();
  try {
    if (runs("B1")) {
      log("B1 receive");
      results.push(await receiveCase(upstage, scale.receiveMiB, scale.rounds));
    }
    if (runs("B3")) {
      log("B3 stage");
      results.push(...(await stageCases(upstage, bigPhoto, `${megapixels(width, height)} MP (${width}×${height})`, scale.rounds * 2 + 1)));
    }
    if (runs("B4")) {
      log("B4 throughput, B5 progress latency, B8 memory");
      results.push(...(await throughputCases(upstage, scale.uploads, twoMegabytes)));
    }
    if (runs("B6")) {
      log("B6 serving");
      results.push(await servingCase(upstage, twoMegabytes, scale.servingSeconds, scale.rounds));
    }
    if (runs("B9")) {
      log("B9 tus receive");
      results.push(await tusReceiveCase(upstage, scale.tusMiB, scale.rounds));
    }
    if (runs("B7")) {
      log("B7 on-demand thumbnails");
      results.push(await onDemandCase(upstage, twoMegabytes, scale.sizes));
    }
  } finally {
    await upstage.stop();
  }
  if (runs("B10")) {
    log("B10 direct uploads");
    results.push(...(await directUploadCase(twoMegabytes, scale.directPhotos, scale.rounds)));
  }
  if (runs("B2")) {
    log("B2 memory");
    results.push(...(await memoryCases(scale.bigMiB, scale.concurrent, scale.eachMiB)));
  }
  results.sort((a, b) => a.id.localeCompare(b.id));

  const quality = runs("Q")
    ? await qualityRows(
        [
          { name: "noise over a gradient (B3's photo)", bytes: bigPhoto },
          // The same photo blurred: smooth areas and soft edges, as most photos have.
          { name: "the same, blurred", bytes: await sharp(bigPhoto).blur(3).jpeg({ quality: 90 }).toBuffer() },
        ],
        2048,
      )
    : [];

  const rows = results.map(toRow);
  const name = only ? "results.only" : smoke ? "results.smoke" : "results";
  const markdown = `${toMarkdown(rows, machine, smoke)}${quality.length ? `\n\n### JPEG quality\n\nQ: each \`JPEG_ENCODER\`'s stored original and 200² thumbnail, against the source scaled the same way (SSIM by ssim.js; encode time single-threaded, median of 5).\n\n${qualityMarkdown(quality)}` : ""}`;
  await fs.writeFile(
    path.join(here, `${name}.json`),
    `${JSON.stringify({ date: new Date().toISOString(), smoke, machine, rows, quality }, null, 2)}\n`,
  );
  await fs.writeFile(path.join(here, `${name}.md`), `${markdown}\n`);
  // A full run rewrites the table in bench/README.md, so the two cannot disagree.
  if (!smoke && !only) await writeIntoReadme(path.join(here, "README.md"), markdown);
  console.log(markdown);
  if (rows.some((r) => Number.isNaN(r.median))) process.exitCode = 1;
}

const START = "<!-- The table below is written by `npm run bench` (a full run); edit the text around it. -->";
const END = "<!-- End of the table written by `npm run bench`. -->";

/** Puts this run's tables between the README's markers. */
async function writeIntoReadme(readme: string, markdown: string): Promise<void> {
  const text = await fs.readFile(readme, "utf8");
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start === -1 || end < start) throw new Error(`${readme} has lost its table markers`);
  const day = new Date().toISOString().slice(0, 10);
  const section = `${START}\n\nThe last full run, on ${day}:\n\n${markdown}\n\n`;
  await fs.writeFile(readme, text.slice(0, start) + section + text.slice(end));
}

/** 12 for 4000×3000; 0.5 for 800×600. */
function megapixels(width: number, height: number): string {
  const mp = (width * height) / 1e6;
  return mp >= 10 ? mp.toFixed(0) : mp.toFixed(1);
}

await main();
