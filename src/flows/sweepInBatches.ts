/**
 * The sweeper's way with expired uploads, whatever their door: the next
 * `size` of them, each ended, until a batch comes back short; returns how many.
 */
export async function sweepInBatches<T>(
  next: (size: number) => Promise<readonly T[]>,
  end: (item: T) => Promise<void>,
  size = 100,
): Promise<number> {
  let ended = 0;
  for (;;) {
    const batch = await next(size);
    for (const item of batch) {
      await end(item);
      ended++;
    }
    if (batch.length < size) return ended;
  }
}
