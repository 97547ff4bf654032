import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

/** What every log line written while handling one request carries. */
export interface RequestContext {
  readonly reqId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** A client's or proxy's X-Request-Id when it is sane, else a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[\w.:-]{1,128}$/.test(value) ? value : randomUUID();
}

/** Runs `fn` (and everything it starts) in the request's context. */
export function runInRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** For pino's `mixin`: the current request's id on every line logged on its behalf. */
export function requestLogFields(): Partial<RequestContext> {
  return storage.getStore() ?? {};
}
