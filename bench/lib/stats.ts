/** The value at quantile `q` (0..1) of `values`, interpolated. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

export const median = (values: readonly number[]) => quantile(values, 0.5);

/** Spread as (max − min) / median, in percent. */
export function spreadPercent(values: readonly number[]): number {
  const m = median(values);
  return m === 0 ? 0 : ((Math.max(...values) - Math.min(...values)) / m) * 100;
}

/** Runs `a` and `b` alternately (A B A B …) `rounds` times; returns each one's samples. */
export async function interleave(
  rounds: number,
  a: () => Promise<number>,
  b: () => Promise<number>,
): Promise<{ a: number[]; b: number[] }> {
  const samples = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    samples.a.push(await a());
    samples.b.push(await b());
  }
  return samples;
}
