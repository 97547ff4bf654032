import { performance } from "node:perf_hooks";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** upstage's Prometheus metrics, in a registry of this server's own (tests run many servers in one process). */
export interface Metrics {
  readonly registry: Registry;
  /** upstage_uploads_total{outcome, code}: code is "" for READY and ABORTED. */
  readonly uploads: Counter<"outcome" | "code">;
  /** upstage_upload_received_bytes_total: request body bytes read from the network. */
  readonly receivedBytes: Counter;
  /** upstage_stage_duration_seconds: from the last byte in to the staged row (decode, orient, strip, thumbnail, store). */
  readonly stageSeconds: Histogram;
  /**
   * upstage_thumbnail_duration_seconds{kind}: the one decode and the encodes of an upload at stage time
   * (original, presets, preview), or rendering and storing one on demand.
   */
  readonly thumbnailSeconds: Histogram<"kind">;
  /** Bytes of on-demand renditions stored. */
  readonly renditionBytes: Counter;
  /** On-demand renditions removed past MAX_RENDITIONS_PER_IMAGE. */
  readonly renditionsEvicted: Counter;
  /** upstage_image_queue_wait_seconds: how long an upload's image work waited for a place in the queue. */
  readonly imageQueueSeconds: Histogram;
  /** upstage_sweeper_runs_total{result}: swept, skipped (another instance was sweeping) or failed. */
  readonly sweeperRuns: Counter<"result">;
  /** upstage_sweeper_removed_images_total. */
  readonly sweptImages: Counter;
}

export interface LiveCounts {
  /** Upload requests in flight on this instance. */
  readonly activeUploads: () => number;
  /** uploadProgress subscriptions open on this instance. */
  readonly activeSubscriptions: () => number;
}

const SECONDS_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(live: LiveCounts): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "upstage_" });
  const registers = [registry];
  new Gauge({
    name: "upstage_active_uploads",
    help: "Upload requests in flight on this instance.",
    registers,
    collect() {
      this.set(live.activeUploads());
    },
  });
  new Gauge({
    name: "upstage_active_subscriptions",
    help: "uploadProgress subscriptions open on this instance.",
    registers,
    collect() {
      this.set(live.activeSubscriptions());
    },
  });
  new Counter({
    name: "upstage_event_loop_busy_seconds_total",
    help:
      "Time this process's main thread spent running code, not waiting (performance.eventLoopUtilization): " +
      "divided by the uploads staged meanwhile, the main-thread cost of one.",
    registers,
    collect() {
      this.reset();
      this.inc(performance.eventLoopUtilization().active / 1000);
    },
  });
  return {
    registry,
    uploads: new Counter({
      name: "upstage_uploads_total",
      help: "Uploads by outcome and error code.",
      labelNames: ["outcome", "code"],
      registers,
    }),
    receivedBytes: new Counter({
      name: "upstage_upload_received_bytes_total",
      help: "Upload request body bytes read from the network.",
      registers,
    }),
    stageSeconds: new Histogram({
      name: "upstage_stage_duration_seconds",
      help: "Time from a file fully received to its staged image: decode, orient, strip, thumbnail, store.",
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    thumbnailSeconds: new Histogram({
      name: "upstage_thumbnail_duration_seconds",
      help:
        "Time to decode an upload once and encode its original, presets and preview (kind=preset), " +
        "or to render and store one thumbnail on demand (kind=on_demand).",
      labelNames: ["kind"],
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    renditionBytes: new Counter({
      name: "upstage_rendition_bytes_total",
      help: "Bytes of on-demand renditions (thumbnails, sources) stored.",
      registers,
    }),
    renditionsEvicted: new Counter({
      name: "upstage_renditions_evicted_total",
      help: "On-demand renditions removed, least recently used first, past MAX_RENDITIONS_PER_IMAGE.",
      registers,
    }),
    imageQueueSeconds: new Histogram({
      name: "upstage_image_queue_wait_seconds",
      help: "Time an upload's image work waited for a place in the image queue (IMAGE_CONCURRENCY at a time).",
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    sweeperRuns: new Counter({ name: "upstage_sweeper_runs_total", help: "Sweeper passes by result.", labelNames: ["result"], registers }),
    sweptImages: new Counter({ name: "upstage_sweeper_removed_images_total", help: "Images the sweeper removed.", registers }),
  };
}
