import { claimExpired, findDeleted } from "../db/imageQueries.js";
import { removeImage } from "./removeImage.js";
import type { StagingDeps } from "./StagingDeps.js";

export interface Sweeper {
  /** One pass: claims expired staged images, then removes every DELETED image's files and rows. */
  sweep(): Promise<{ removed: number }>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Removes expired staged images and finishes deletions that were interrupted.
 * Runs every `intervalSeconds` once started; `stop()` waits for a running pass.
 */
export function createSweeper(deps: StagingDeps, options: { intervalSeconds: number; batchSize?: number }): Sweeper {
  const batchSize = options.batchSize ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function sweep(): Promise<{ removed: number }> {
    let removed = 0;
    for (;;) {
      await claimExpired(deps.knex, deps.now(), batchSize);
      const batch = await findDeleted(deps.knex, batchSize);
      for (const image of batch) {
        await removeImage(deps, image);
        removed += 1;
      }
      if (batch.length < batchSize) break;
    }
    if (removed > 0) deps.log.info({ removed }, "sweeper removed images");
    return { removed };
  }

  function tick(): void {
    if (running) return;
    running = sweep()
      .catch((error) => deps.log.error({ err: error }, "sweep failed"))
      .finally(() => {
        running = undefined;
      });
  }

  return {
    sweep,
    start() {
      if (timer) return;
      timer = setInterval(tick, options.intervalSeconds * 1000);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
