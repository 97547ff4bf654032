import { CREATE_DIRECT_UPLOAD, createDirect, putToBucket, STAGE_DIRECT_UPLOAD, stageDirect } from "../../test/helpers/directUpload.js";
import { stageFile } from "../../test/helpers/graphqlClient.js";
import { startS3Server } from "../../test/helpers/s3Server.js";
import { STAGE_ID, startUpstage } from "../lib/benchServers.js";
import { cpuMsOf, memoryOf, resetPeak } from "../lib/procStatus.js";
import type { CaseResult } from "../lib/report.js";
import { interleave, median } from "../lib/stats.js";

/** Photos in flight at once, as a page sends them. */
const AT_ONCE = 4;

interface Round {
  /** Request bytes the API received from clients, per photo (bodies; headers left out at both doors). */
  readonly bytesPerPhoto: number;
  /** Bytes the API read back from the bucket, per photo. */
  readonly readBackPerPhoto: number;
  /** The API process's CPU (all threads), per photo. */
  readonly cpuMsPerPhoto: number;
  /** Its peak resident memory over the round. */
  readonly peakMiB: number;
}

/** The length of a JSON GraphQL request's body, as `graphql()` sends it. */
const jsonBytes = (query: string, variables: Record<string, unknown>) => Buffer.byteLength(JSON.stringify({ query, variables }));

/**
 * B10: `photos` photos staged over multipart, against the same photos as
 * direct uploads (created, PUT to the bucket, staged), 4 at a time, on one
 * API process with STORAGE=s3 (s3rver on loopback). The measure is what the
 * API receives from clients per photo; its CPU and memory are noted beside,
 * since both doors stage (decode, encode) the same image.
 */
export async function directUploadCase(photo: Buffer, photos: number, rounds: number): Promise<CaseResult[]> {
  const s3 = await startS3Server("upstage-bench-direct");
  const upstage = await startUpstage(s3.env);
  const pid = upstage.process.child.pid!;
  const graphqlUrl = upstage.process.graphqlUrl;
  // The multipart body as fetch frames it (FormData), measured once: every photo's is the same size.
  const form = new FormData();
  form.append("operations", JSON.stringify({ query: STAGE_ID, variables: { file: null, uploadId: null } }));
  form.append("map", JSON.stringify({ 0: ["variables.file"] }));
  form.append("0", new Blob([new Uint8Array(photo.length + 32)], { type: "image/jpeg" }), "photo.jpg");
  const multipartBytes = (await new Response(form).arrayBuffer()).byteLength;
  let users = 0;
  /** Each photo its own bytes (a trailer after the image's end), so none is deduplicated as one already stored. */
  let sentPhotos = 0;
  const nextPhoto = () => Buffer.concat([photo, Buffer.from(`upstage bench photo ${sentPhotos++}`.padEnd(32))]);

  async function round(send: (token: string) => Promise<{ sent: number; readBack: number }>): Promise<Round> {
    const token = await upstage.token(`b10-${users++}`);
    await resetPeak(pid);
    const cpuBefore = await cpuMsOf(pid);
    let sent = 0;
    let readBack = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: AT_ONCE }, async () => {
        while (next++ < photos) {
          const one = await send(token);
          sent += one.sent;
          readBack += one.readBack;
        }
      }),
    );
    const cpuMs = (await cpuMsOf(pid)) - cpuBefore;
    return {
      bytesPerPhoto: sent / photos,
      readBackPerPhoto: readBack / photos,
      cpuMsPerPhoto: cpuMs / photos,
      peakMiB: (await memoryOf(pid)).peakMiB,
    };
  }

  const overMultipart = (token: string) =>
    stageFile(graphqlUrl, nextPhoto(), { token, query: STAGE_ID }).then(({ body }) => {
      if (body.errors) throw new Error(`multipart: ${body.errors[0]!.message}`);
      return { sent: multipartBytes, readBack: 0 };
    });
  const direct = async (token: string) => {
    const file = nextPhoto();
    const input = { filename: "photo.jpg", contentType: "image/jpeg", byteSize: file.length, uploadId: null };
    const created = await createDirect(graphqlUrl, token, input);
    if (created.body.errors) throw new Error(`createDirectUpload: ${created.body.errors[0]!.message}`);
    const upload = created.body.data!.createDirectUpload;
    await putToBucket(upload, file);
    const staged = await stageDirect(graphqlUrl, token, upload.id);
    if (staged.body.errors) throw new Error(`stageDirectUpload: ${staged.body.errors[0]!.message}`);
    return {
      sent: jsonBytes(CREATE_DIRECT_UPLOAD, { input }) + jsonBytes(STAGE_DIRECT_UPLOAD, { id: upload.id, uploadId: null }),
      readBack: file.length,
    };
  };

  try {
    const results = { direct: [] as Round[], multipart: [] as Round[] };
    await interleave(
      rounds,
      async () => {
        results.direct.push(await round(direct));
        return 0;
      },
      async () => {
        results.multipart.push(await round(overMultipart));
        return 0;
      },
    );
    const of = (door: Round[], field: keyof Round) => median(door.map((r) => r[field]));
    const name = `${photos} photos of ${(photo.length / 1e6).toFixed(1)} MB, ${AT_ONCE} at a time, STORAGE=s3 (s3rver)`;
    return [
      {
        id: "B10",
        name: `direct uploads: request bytes the API receives from clients per photo; ${name}`,
        unit: "bytes",
        higherIsBetter: false,
        samples: results.direct.map((r) => r.bytesPerPhoto),
        baseline: { name: "the same photos over multipart", samples: results.multipart.map((r) => r.bytesPerPhoto) },
        target: { ratioAtMost: 0.01 },
        notes: `the API reads each direct photo back from the bucket: ${Math.round(of(results.direct, "readBackPerPhoto"))} bytes, over its own connection to the store`,
      },
      {
        id: "B10c",
        name: `direct uploads: the API process's CPU per photo (all threads, staging included); ${name}`,
        unit: "ms",
        higherIsBetter: false,
        samples: results.direct.map((r) => r.cpuMsPerPhoto),
        baseline: { name: "the same photos over multipart", samples: results.multipart.map((r) => r.cpuMsPerPhoto) },
        notes: `peak RSS over a round: ${Math.round(of(results.direct, "peakMiB"))} MiB direct, ${Math.round(of(results.multipart, "peakMiB"))} MiB multipart`,
      },
    ];
  } finally {
    await upstage.stop();
    await s3.stop();
  }
}
