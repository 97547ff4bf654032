import { median, spreadPercent } from "./stats.js";

export interface CaseResult {
  readonly id: string;
  readonly name: string;
  readonly unit: string;
  readonly higherIsBetter: boolean;
  readonly samples: readonly number[];
  readonly baseline?: { readonly name: string; readonly samples: readonly number[] };
  /** What "met" means: a ratio to the baseline's median, or a bound on the median itself. */
  readonly target?: { readonly ratioAtLeast?: number; readonly ratioAtMost?: number; readonly atMost?: number; readonly text?: string };
  /** Extra figures worth printing (latency percentiles, counts). */
  readonly notes?: string;
  /** Whether a target given only as text was met. */
  readonly met?: boolean;
}

export interface Row {
  readonly id: string;
  readonly name: string;
  readonly median: number;
  readonly spreadPercent: number;
  readonly unit: string;
  readonly baselineName?: string;
  readonly baselineMedian?: number;
  readonly ratio?: number;
  readonly target: string;
  readonly met: boolean | null;
  readonly notes?: string;
  readonly samples: readonly number[];
  readonly baselineSamples?: readonly number[];
}

export function toRow(result: CaseResult): Row {
  const m = median(result.samples);
  const b = result.baseline ? median(result.baseline.samples) : undefined;
  const ratio = b ? m / b : undefined;
  const t = result.target ?? {};
  let met: boolean | null = result.met ?? null;
  let target = t.text ?? "";
  if (t.ratioAtLeast !== undefined && ratio !== undefined) {
    // A case that also has conditions of its own (errors, lost events) says so in `met`.
    met = ratio >= t.ratioAtLeast && (result.met ?? true);
    target = `≥ ${t.ratioAtLeast}× baseline${t.text ? `; ${t.text}` : ""}`;
  } else if (t.ratioAtMost !== undefined && ratio !== undefined) {
    met = ratio <= t.ratioAtMost;
    target = `≤ ${t.ratioAtMost}× baseline`;
  } else if (t.atMost !== undefined) {
    met = m <= t.atMost;
    target = `≤ ${t.atMost} ${result.unit}`;
  }
  return {
    id: result.id,
    name: result.name,
    median: m,
    spreadPercent: spreadPercent(result.samples),
    unit: result.unit,
    baselineName: result.baseline?.name,
    baselineMedian: b,
    ratio,
    target,
    met,
    notes: result.notes,
    samples: result.samples,
    baselineSamples: result.baseline?.samples,
  };
}

const fmt = (n: number | undefined) =>
  n === undefined || Number.isNaN(n) ? "—" : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);

/** A byte count as a person reads it: 1.4 MB, 180 kB. */
export function sizeLabel(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.round(bytes / 1e3)} kB`;
}

/** The table, the notes and the machine. A smoke run's rows are not judged: its sizes are too small for the targets. */
export function toMarkdown(rows: readonly Row[], machine: Record<string, unknown>, smoke = false): string {
  const judged = (r: Row) => (smoke ? "smoke" : r.met === null ? "—" : r.met ? "yes" : "**no**");
  const lines = [
    ...(smoke
      ? ["Smoke run: every case with tiny sizes, so that the benchmark cannot rot; its figures say nothing of the targets.", ""]
      : []),
    "| case | median | spread | baseline (median) | ratio | target | met |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.id} ${r.name} | ${fmt(r.median)} ${r.unit} | ±${r.spreadPercent.toFixed(0)}% | ${
          r.baselineName ? `${r.baselineName} (${fmt(r.baselineMedian)} ${r.unit})` : "—"
        } | ${r.ratio === undefined ? "—" : `${r.ratio.toFixed(2)}×`} | ${r.target || "—"} | ${judged(r)} |`,
    ),
    "",
    ...rows.filter((r) => r.notes).map((r) => `- ${r.id}: ${r.notes}`),
    "",
    `Machine: ${Object.entries(machine)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}.`,
  ];
  return lines.join("\n");
}
