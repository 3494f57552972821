// The runtime's metrics: OpenTelemetry instruments on one process-wide MeterProvider, read on
// demand into the Prometheus text format (`GET /metrics`), and pushed over OTLP (HTTP/protobuf)
// when the standard environment asks for it (see `metricsExportRequested`). Names follow
// Prometheus conventions: base units in the name (`_seconds`), counters end in `_total` (the
// serializer appends it).
//
// Counters and histograms written on the hot path are module constants (the runtime's own,
// local-metrics.ts, collected with the SDK's instruments by both readers); figures that
// are cheaper to read than to track (consumer lag, DLQ size, restarts) are observed at scrape
// time from sources a running runtime registers with `observeRuntime`.
import { PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { type Resource, resourceFromAttributes } from "@opentelemetry/resources";
import {
  type IMetricReader,
  MeterProvider,
  MetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { LocalMetrics } from "./local-metrics";

/** A reader that collects only when asked (a scrape). */
class PullReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/**
 * True when the environment asks for metrics over OTLP, by the rules traces follow
 * (sdk/src/tracing.ts): OTEL_METRICS_EXPORTER=otlp, or an OTLP endpoint
 * (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) with OTEL_METRICS_EXPORTER
 * unset; never when OTEL_SDK_DISABLED=true or OTEL_METRICS_EXPORTER=none.
 */
export function metricsExportRequested(env: Record<string, string | undefined> = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? "").toLowerCase() === "true") return false;
  const exporter = (env.OTEL_METRICS_EXPORTER ?? "").trim().toLowerCase();
  if (exporter === "none") return false;
  if (exporter.split(",").some((name) => name.trim() === "otlp")) return true;
  return (
    exporter === "" && Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT)
  );
}

const serviceResource = (name: string): Resource =>
  resourceFromAttributes({
    "service.name": process.env.OTEL_SERVICE_NAME || name,
    "process.pid": process.pid,
  });

/** The process's service name in pushed metrics (set once its role is known: `nameMetricsService`). */
let pushedResource = serviceResource("angzarr");

/**
 * The OTLP push reader, only when asked for: otherwise the exporter is never loaded and nothing
 * runs (no timer, no collection). Every OTEL_METRIC_EXPORT_INTERVAL ms (default 60 000) it
 * collects and sends to the endpoint the exporter reads from OTEL_EXPORTER_OTLP_* itself.
 */
async function otlpReader(): Promise<IMetricReader> {
  const { OTLPMetricExporter } = await import("@opentelemetry/exporter-metrics-otlp-proto");
  // The provider's resource is fixed when this module loads; the role's service name is not.
  class NamedExporter extends OTLPMetricExporter implements PushMetricExporter {
    override export(metrics: ResourceMetrics, done: Parameters<PushMetricExporter["export"]>[1]): void {
      super.export({ ...metrics, resource: pushedResource }, done);
    }
  }
  const ms = (name: string, fallback: number) => {
    const value = Number(process.env[name]);
    return process.env[name] && Number.isFinite(value) && value > 0 ? value : fallback;
  };
  const exportIntervalMillis = ms("OTEL_METRIC_EXPORT_INTERVAL", 60_000);
  return new PeriodicExportingMetricReader({
    exporter: new NamedExporter(),
    metricProducers: [local],
    exportIntervalMillis,
    exportTimeoutMillis: Math.min(ms("OTEL_METRIC_EXPORT_TIMEOUT", 30_000), exportIntervalMillis),
  });
}

/** The runtime's own counters and histograms (the hot path's), read by every reader below. */
const local = new LocalMetrics("angzarr");
const reader = new PullReader({ metricProducers: [local] });
const pushReader = metricsExportRequested() ? await otlpReader() : undefined;
const provider = new MeterProvider({
  resource: resourceFromAttributes({ "service.name": process.env.OTEL_SERVICE_NAME || "angzarr" }),
  readers: pushReader ? [reader, pushReader] : [reader],
});

/** The service name the pushed metrics carry (OTEL_SERVICE_NAME wins, as for traces). */
export function nameMetricsService(name: string): void {
  pushedResource = serviceResource(name);
}

/** Sends what the push reader has not sent yet (before the process exits); no-op when off. */
export async function flushMetricsExport(): Promise<void> {
  await pushReader?.forceFlush();
}
const meter = provider.getMeter("angzarr");

/** Latency buckets, seconds: 0.5 ms .. 10 s. */
const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Every metric name the runtime exports (as Prometheus sees them), with what it counts. */
export const METRIC_NAMES = {
  commands: "angzarr_commands_total",
  commandDuration: "angzarr_command_duration_seconds",
  handlerRoundTrip: "angzarr_handler_roundtrip_seconds",
  eventsAppended: "angzarr_events_appended_total",
  storeDuration: "angzarr_store_operation_duration_seconds",
  snapshotReads: "angzarr_snapshot_reads_total",
  busPublished: "angzarr_bus_published_total",
  busAcked: "angzarr_bus_acked_total",
  consumerLagEvents: "angzarr_consumer_lag_events",
  consumerLagSeconds: "angzarr_consumer_lag_seconds",
  dlqEntries: "angzarr_dlq_entries",
  processRestarts: "angzarr_process_restarts_total",
} as const;

/** The instrument name given to OpenTelemetry (counters without `_total`: the exporter adds it). */
const otelName = (name: string) => name.replace(/_total$/, "");

// Counters and histograms on the command's path are the runtime's own (local-metrics.ts: no
// attribute hashing per call), handed to both readers at collection time; the scrape-time gauges
// below stay SDK instruments.
export const commandsTotal = local.counter(
  otelName(METRIC_NAMES.commands),
  "Commands executed by the aggregate pipeline, by domain and outcome code",
  ["domain", "code"],
);
export const commandDuration = local.histogram(
  METRIC_NAMES.commandDuration,
  {
    description: "Time from a command entering the pipeline to its events persisted and published",
    unit: "s",
    boundaries: SECONDS,
  },
  ["domain"],
);
export const handlerRoundTrip = local.histogram(
  METRIC_NAMES.handlerRoundTrip,
  {
    description: "Round trip of one call to a handler program, by component and outcome code",
    unit: "s",
    boundaries: SECONDS,
  },
  ["component", "method", "code"],
);
export const eventsAppended = local.counter(
  otelName(METRIC_NAMES.eventsAppended),
  "Events appended to the event store, by domain",
  ["domain"],
);
export const storeDuration = local.histogram(
  METRIC_NAMES.storeDuration,
  {
    description: "Latency of event and snapshot store operations, by operation",
    unit: "s",
    boundaries: SECONDS,
  },
  ["operation"],
);
export const snapshotReads = local.counter(
  otelName(METRIC_NAMES.snapshotReads),
  "Snapshot look-ups, by domain and result (hit or miss)",
  ["domain", "result"],
);
export const busPublished = local.counter(
  otelName(METRIC_NAMES.busPublished),
  "Event books published on the bus, by domain",
  ["domain"],
);
export const busAcked = local.counter(
  otelName(METRIC_NAMES.busAcked),
  "Bus deliveries a subscriber finished, by subscriber and result (ack or nack)",
  ["subscriber", "result"],
);

/** One consumer's backlog: pending events and the age of the oldest one. */
export interface ConsumerLag {
  consumer: string;
  events: number;
  seconds: number;
}

/** Figures a running runtime reads at scrape time. */
export interface RuntimeGauges {
  consumerLag?(): Promise<ConsumerLag[]>;
  /** Unreplayed dead letters per consumer. */
  deadLetters?(): Promise<Map<string, number>>;
  /** Restarts per supervised program. */
  restarts?(): Map<string, number>;
}

const lagEvents = meter.createObservableGauge(METRIC_NAMES.consumerLagEvents, {
  description: "Events a consumer has not processed yet",
});
const lagSeconds = meter.createObservableGauge(METRIC_NAMES.consumerLagSeconds, {
  description: "Age of the oldest event a consumer has not processed yet (0 when caught up)",
  unit: "s",
});
const dlqEntries = meter.createObservableGauge(METRIC_NAMES.dlqEntries, {
  description: "Dead-lettered cases not replayed yet, by consumer",
});
const restarts = meter.createObservableCounter(otelName(METRIC_NAMES.processRestarts), {
  description: "Restarts of supervised handler programs after they exited, by program",
});

const sources = new Set<RuntimeGauges>();

// Both lag gauges come from one read per source.
meter.addBatchObservableCallback(
  async (result) => {
    for (const source of sources) {
      for (const lag of (await source.consumerLag?.()) ?? []) {
        result.observe(lagEvents, lag.events, { consumer: lag.consumer });
        result.observe(lagSeconds, lag.seconds, { consumer: lag.consumer });
      }
    }
  },
  [lagEvents, lagSeconds],
);
dlqEntries.addCallback(async (result) => {
  for (const source of sources) {
    for (const [consumer, count] of (await source.deadLetters?.()) ?? []) {
      result.observe(count, { consumer });
    }
  }
});
restarts.addCallback((result) => {
  for (const source of sources) {
    for (const [program, count] of source.restarts?.() ?? []) result.observe(count, { program });
  }
});

/** Registers a runtime's scrape-time figures; the returned function unregisters them. */
export function observeRuntime(source: RuntimeGauges): () => void {
  sources.add(source);
  return () => {
    sources.delete(source);
  };
}

const serializer = new PrometheusSerializer();

/** Everything measured so far, in the Prometheus text exposition format (version 0.0.4). */
export async function renderPrometheus(): Promise<string> {
  const { resourceMetrics, errors } = await reader.collect();
  const text = serializer.serialize(resourceMetrics);
  return errors.length === 0
    ? text
    : `${text}# collection errors: ${errors.map((e) => String((e as Error).message ?? e)).join("; ")}\n`;
}

/** The content type of `renderPrometheus`'s output. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Seconds since `started` (a performance.now() value). */
export const secondsSince = (started: number): number => (performance.now() - started) / 1000;

/** `GET /metrics` as a plain HTTP route. */
export const metricsRoute = async (): Promise<{ contentType: string; body: string }> => ({
  contentType: PROMETHEUS_CONTENT_TYPE,
  body: await renderPrometheus(),
});
