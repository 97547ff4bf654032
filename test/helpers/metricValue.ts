/**
 * One sample of Prometheus' text format: `name` with exactly these labels
 * (in any order), or undefined when the text has none.
 * @example sampleOf(text, "upstage_uploads_total", { outcome: "READY", code: "" })
 */
export function sampleOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .sort()
    .join(",");
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const seen = (match[2] ?? "").split(",").filter(Boolean).sort().join(",");
    if (seen === wanted) return Number(match[3]);
  }
  return undefined;
}

/** A sample of a server's /metrics now; 0 for one not counted yet (a labelled counter appears at its first count). */
export async function metricValue(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sampleOf(await (await fetch(`${baseUrl}/metrics`)).text(), name, labels) ?? 0;
}
