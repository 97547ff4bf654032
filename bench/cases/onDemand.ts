import { graphql, stageFile } from "../../test/helpers/graphqlClient.js";
import { STAGE_ID, type Upstage } from "../lib/benchServers.js";
import type { CaseResult } from "../lib/report.js";
import { median } from "../lib/stats.js";

/** B7: a non-preset thumbnail: the first request renders it, the second must be a lookup. */
export async function onDemandCase(upstage: Upstage, photo: Buffer, sizes: number): Promise<CaseResult> {
  const token = await upstage.token("b7");
  const id = (await stageFile(upstage.process.graphqlUrl, photo, { token, query: STAGE_ID })).body.data!["stageImage"].id;

  const query = "query ($id: ID!, $w: Int!, $h: Int!) { image(id: $id) { thumbnail(width: $w, height: $h) { url } } }";
  const timed = async (w: number, h: number) => {
    const started = performance.now();
    const { body } = await graphql(upstage.process.graphqlUrl, query, { id, w, h }, token);
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return performance.now() - started;
  };
  const first: number[] = [];
  const second: number[] = [];
  for (let i = 0; i < sizes; i++) {
    first.push(await timed(300 + i, 170 + i));
    second.push(await timed(300 + i, 170 + i));
  }
  return {
    id: "B7",
    name: "second request of a non-preset thumbnail",
    unit: "ms",
    higherIsBetter: false,
    samples: second,
    target: { atMost: 5 },
    notes: `first request (renders and stores) median ${median(first).toFixed(1)} ms over ${sizes} sizes`,
  };
}
