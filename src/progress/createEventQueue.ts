export interface EventQueue<T> {
  push(value: T): void;
  /** Ends the iteration once what is queued has been read. */
  end(): void;
  readonly iterator: AsyncIterableIterator<T>;
}

export interface EventQueueOptions {
  /** Runs once when the queue closes, however it ends. */
  readonly onClose?: () => void;
  /** Ends the queue when no value arrives within this many milliseconds of its creation. */
  readonly firstValueWithinMs?: number;
}

/**
 * A push-to-pull queue. Unlike an async generator, its `return()` settles at
 * once even while a consumer waits for the next value, so an unsubscribe never
 * hangs until the next event.
 */
export function createEventQueue<T>(options: EventQueueOptions = {}): EventQueue<T> {
  const values: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | undefined;
  let ended = false;
  let closed = false;
  let firstValueTimer: NodeJS.Timeout | undefined;
  if (options.firstValueWithinMs !== undefined) {
    firstValueTimer = setTimeout(() => end(), options.firstValueWithinMs);
    firstValueTimer.unref();
  }

  function end(): void {
    clearTimeout(firstValueTimer);
    ended = true;
    settle();
  }

  function close(): IteratorResult<T> {
    if (!closed) {
      closed = true;
      clearTimeout(firstValueTimer);
      values.length = 0;
      options.onClose?.();
    }
    return { value: undefined, done: true };
  }

  function settle(): void {
    if (!waiting) return;
    const resolve = waiting;
    if (values.length > 0) {
      waiting = undefined;
      resolve({ value: values.shift()!, done: false });
    } else if (ended) {
      waiting = undefined;
      resolve(close());
    }
  }

  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (closed) return Promise.resolve({ value: undefined, done: true });
      if (values.length > 0) return Promise.resolve({ value: values.shift()!, done: false });
      if (ended) return Promise.resolve(close());
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    return() {
      const result = close();
      waiting?.(result);
      waiting = undefined;
      return Promise.resolve(result);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };

  return {
    push(value) {
      if (ended || closed) return;
      clearTimeout(firstValueTimer);
      values.push(value);
      settle();
    },
    end,
    iterator,
  };
}
