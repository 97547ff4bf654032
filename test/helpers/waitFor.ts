/**
 * Waits until `check` holds, looking again each time the event loop is free
 * (every 20 ms), and fails with `what` after `timeoutMs`. For states with no
 * event to wait on (files gone from a directory, a row written, a remembered
 * answer expired); a state that has an event is awaited on the event instead.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms, and never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
