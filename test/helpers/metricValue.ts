/**
 * One sample of a server's /metrics (Prometheus' text format): `name` with
 * exactly these labels, or 0 when it has not been counted yet.
 * @example await metricValue(url, "upstage_sweeper_runs_total", { result: "skipped" })
 */
export async function metricValue(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`).sort().join(",");
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const seen = (match[2] ?? "").split(",").filter(Boolean).sort().join(",");
    if (seen === wanted) return Number(match[3]);
  }
  return 0;
}
