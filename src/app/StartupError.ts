/** A start that cannot go on, said in one line that names the setting and what to do. */
export class StartupError extends Error {
  override readonly name: string = "StartupError";
  constructor(
    /** The environment variable to look at. */
    readonly setting: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** `ECONNREFUSED` and the like, from an error or the first of an AggregateError's. */
export function systemCodeOf(error: unknown): string {
  const e = error as { code?: unknown; errors?: unknown[] } | undefined;
  if (typeof e?.code === "string") return e.code;
  if (Array.isArray(e?.errors) && e.errors.length > 0) return systemCodeOf(e.errors[0]);
  return error instanceof Error ? error.message : String(error);
}

/** A connection URL fit to print: without its password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable URL)";
  }
}
