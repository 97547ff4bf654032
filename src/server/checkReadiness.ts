/** What /readyz reports: each dependency "ok", "full" (a disk) or "unavailable" (the reason goes to the log, not to the prober). */
export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, string>>;
}

/**
 * Runs every check at once, each bounded by `timeoutMs` (a hung database must
 * not hang the probe), and reports them all.
 */
export async function checkReadiness(
  checks: Readonly<Record<string, () => Promise<void>>>,
  onFailure: (name: string, error: unknown) => void,
  timeoutMs = 2000,
): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, string]> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([check(), timeout]);
        return [name, "ok"];
      } catch (error) {
        onFailure(name, error);
        const code = (error as { code?: unknown } | undefined)?.code;
        return [name, code === "ENOSPC" || code === "EDQUOT" ? "full" : "unavailable"];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ready: entries.every(([, state]) => state === "ok"), checks: Object.fromEntries(entries) };
}
