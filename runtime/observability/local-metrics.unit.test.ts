// The runtime's own counters and histograms give a reader what OpenTelemetry SDK instruments of
// the same shape give it for the same inputs: same series, sums, bucket counts, sum, count, min
// and max (times aside), and the same overflow series past the cardinality limit.
import { expect, test } from "bun:test";
import type { Attributes } from "@opentelemetry/api";
import {
  type DataPoint,
  DataPointType,
  type Histogram,
  MeterProvider,
  type MetricData,
  MetricReader,
} from "@opentelemetry/sdk-metrics";
import { LocalMetrics } from "./local-metrics";

class Reader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

const BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A provider whose reader collects both the SDK's instruments and `local`'s. */
function setup() {
  const local = new LocalMetrics("test");
  const reader = new Reader({ metricProducers: [local] });
  const meter = new MeterProvider({ readers: [reader] }).getMeter("test");
  const collect = async () => {
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const byName = new Map<string, MetricData>();
    for (const scope of resourceMetrics.scopeMetrics)
      for (const m of scope.metrics) byName.set(m.descriptor.name, m);
    return byName;
  };
  return { local, meter, collect };
}

/** Data points without their times, ordered by attributes. */
function points(data: MetricData | undefined): { attributes: Attributes; value: unknown }[] {
  if (data === undefined) return [];
  return (data.dataPoints as DataPoint<unknown>[])
    .map((p) => ({ attributes: p.attributes, value: p.value }))
    .sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)));
}

/** The same for histogram points, with the bucket counts as plain numbers. */
function histogramPoints(data: MetricData | undefined) {
  return points(data).map(({ attributes, value }) => {
    const h = value as Histogram;
    return {
      attributes,
      counts: [...h.buckets.counts],
      boundaries: [...h.buckets.boundaries],
      sum: h.sum,
      count: h.count,
      min: h.min,
      max: h.max,
    };
  });
}

test("a counter's sums per label set equal an SDK counter's", async () => {
  const { local, meter, collect } = setup();
  const ours = local.counter("ours", "commands", ["domain", "code"]);
  const sdk = meter.createCounter("sdk", { description: "commands" });
  const kept = ours.cell("orders", "OK");
  const inputs: [number, string, string][] = [
    [1, "orders", "OK"],
    [1, "orders", "ABORTED"],
    [3, "stock", "OK"],
    [-2, "stock", "OK"], // ignored by both
    [0.5, "orders", "OK"],
    [0, "ledger", "OK"],
  ];
  for (const [value, domain, code] of inputs) {
    if (domain === "orders" && code === "OK") kept.add(value);
    else ours.add(value, domain, code);
    sdk.add(value, { domain, code });
  }
  const all = await collect();
  const mine = all.get("ours");
  expect(mine?.dataPointType).toBe(DataPointType.SUM);
  expect(mine && "isMonotonic" in mine && mine.isMonotonic).toBe(true);
  expect(mine?.aggregationTemporality).toBe(all.get("sdk")?.aggregationTemporality as number);
  expect(points(mine)).toEqual(points(all.get("sdk")));
  expect(points(mine)).toHaveLength(4);
  // Cumulative: a second collection holds the totals so far.
  kept.add(2);
  sdk.add(2, { domain: "orders", code: "OK" });
  const again = await collect();
  expect(points(again.get("ours"))).toEqual(points(again.get("sdk")));
});

test("a histogram's buckets, sum, count, min and max equal an SDK histogram's", async () => {
  const { local, meter, collect } = setup();
  const ours = local.histogram("ours", { description: "latency", unit: "s", boundaries: BOUNDS }, [
    "component",
    "method",
    "code",
  ]);
  const sdk = meter.createHistogram("sdk", {
    description: "latency",
    unit: "s",
    advice: { explicitBucketBoundaries: BOUNDS },
  });
  // Values on the boundaries, between them, below the first and above the last, and ignored ones.
  const values = [...BOUNDS, 0, 0.0001, 0.0007, 0.003, 0.7, 3, 11, 250, -1, Number.NaN, 0.001];
  let n = 0;
  for (const value of values) {
    const code = n++ % 3 === 0 ? "OK" : "ABORTED";
    ours.record(value, "agg", "Handle", code);
    sdk.record(value, { component: "agg", method: "Handle", code });
  }
  const one = ours.cell("pm", "Handle", "OK");
  for (let i = 0; i < 1000; i++) {
    const value = ((i * 7919) % 1000) / 400;
    one.record(value);
    sdk.record(value, { component: "pm", method: "Handle", code: "OK" });
  }
  const all = await collect();
  const mine = all.get("ours");
  expect(mine?.dataPointType).toBe(DataPointType.HISTOGRAM);
  expect(mine?.descriptor.unit).toBe("s");
  expect(mine?.aggregationTemporality).toBe(all.get("sdk")?.aggregationTemporality as number);
  const expected = histogramPoints(all.get("sdk"));
  const got = histogramPoints(mine);
  expect(got).toHaveLength(3);
  // Sums add in the same order; compare them to the last bits of a double anyway.
  expect(got.map((p) => ({ ...p, sum: 0 }))).toEqual(expected.map((p) => ({ ...p, sum: 0 })));
  got.forEach((p, i) => {
    expect(p.sum).toBeCloseTo(expected[i]?.sum ?? Number.NaN, 12);
  });
});

test("label sets past the cardinality limit share the overflow series, as in the SDK", async () => {
  const { local, meter, collect } = setup();
  const ours = local.counter("ours", "", ["domain"]);
  const sdk = meter.createCounter("sdk");
  for (let i = 0; i < 2100; i++) {
    ours.add(i, `d${i}`);
    sdk.add(i, { domain: `d${i}` });
  }
  // A label set already known keeps its own series.
  ours.add(5, "d3");
  sdk.add(5, { domain: "d3" });
  const all = await collect();
  const mine = points(all.get("ours"));
  expect(mine).toEqual(points(all.get("sdk")));
  expect(mine.find((p) => p.attributes["otel.metric.overflow"] === true)).toBeDefined();
});

test("a label set never recorded into is not reported", async () => {
  const { local, collect } = setup();
  local.counter("ours", "", ["domain"]).cell("orders");
  local.histogram("hist", { description: "", unit: "s", boundaries: BOUNDS }, ["operation"]).cell("append");
  const all = await collect();
  expect(all.has("ours")).toBe(false);
  expect(all.has("hist")).toBe(false);
});
