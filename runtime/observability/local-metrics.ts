// Counters and histograms the runtime keeps itself, for the calls on every command's path.
//
// An OpenTelemetry SDK instrument, on every `add` / `record`, sorts and JSON-encodes the attribute
// object to find its series, reads the clock and the active context. Here a series ("cell") is
// looked up once per label set, by plain string keys in nested maps, and the hot path keeps the
// cell where its labels are fixed: a record is then a few additions. The SDK still does
// everything else: `LocalMetrics` is a `MetricProducer`, so every reader it is given to (the pull
// reader behind GET /metrics, the OTLP push reader) collects these figures with the SDK's own
// instruments and serializes them the same way.
//
// What a reader receives is what an SDK counter / explicit-bucket histogram of the same name,
// description, unit and boundaries would give it with cumulative temporality (the default of
// both readers; the unit tests compare the two): sums per label set, histogram bucket counts
// (bucket i holds values ≤ boundaries[i] and > boundaries[i-1]), sum, count, min and max,
// negative values ignored (NaN too for histograms), at most 2,000 label sets per instrument with
// the rest counted under `otel.metric.overflow=true`. Delta temporality is not offered: a
// reader asking for it still receives cumulative points (marked so).
import { type Attributes, type HrTime, ValueType } from "@opentelemetry/api";
import { emptyResource } from "@opentelemetry/resources";
import {
  AggregationTemporality,
  type CollectionResult,
  DataPointType,
  type Histogram,
  type MetricData,
  type MetricProducer,
} from "@opentelemetry/sdk-metrics";

/** The SDK's default cardinality limit per instrument (the overflow series included). */
const CARDINALITY_LIMIT = 2000;
const OVERFLOW: Attributes = { "otel.metric.overflow": true };

const hrNow = (): HrTime => {
  const ms = Date.now();
  return [Math.trunc(ms / 1000), Math.round((ms % 1000) * 1e6)];
};

/** One label set's running total. */
export class CounterCell {
  value = 0;
  /** When the first value was added (the series' start); undefined until then (not reported). */
  start: HrTime | undefined;
  constructor(readonly attributes: Attributes) {}
  /** Adds `value` (a negative value is ignored, as an SDK counter does). */
  add(value: number): void {
    if (!(value >= 0)) return;
    this.value += value;
    this.start ??= hrNow();
  }
}

/** One label set's distribution over the instrument's bucket boundaries. */
export class HistogramCell {
  /** counts[i]: values ≤ boundaries[i] (and > boundaries[i-1]); the last: above every boundary. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** When the first value was recorded (the series' start); undefined until then (not reported). */
  start: HrTime | undefined;
  constructor(
    readonly attributes: Attributes,
    private readonly boundaries: readonly number[],
  ) {
    this.counts = new Float64Array(boundaries.length + 1);
  }
  /** Records `value` (negative values and NaN are ignored, as by an SDK histogram). */
  record(value: number): void {
    if (!(value >= 0)) return;
    this.start ??= hrNow();
    this.count += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    const bounds = this.boundaries;
    let i = 0;
    while (i < bounds.length && (bounds[i] as number) < value) i++;
    (this.counts[i] as number) += 1;
  }
}

type Level<C> = Map<string, C | Level<C>>;

/** An instrument's cells by label values (in the order of its label names). */
abstract class Family<C extends CounterCell | HistogramCell> {
  private readonly root: Level<C> = new Map();
  private readonly all: C[] = [];
  private overflow: C | undefined;

  constructor(
    readonly name: string,
    readonly description: string,
    readonly unit: string,
    readonly labels: readonly string[],
  ) {
    if (labels.length < 1 || labels.length > 3) throw new Error(`${name}: 1 to 3 labels`);
  }

  protected abstract make(attributes: Attributes): C;

  /**
   * The cell of one label set (values in the order of the label names; missing ones are "").
   * Keep it where the labels are fixed: recording into it is then all the work.
   */
  cell(a: string, b = "", c = ""): C {
    let level = this.root;
    const depth = this.labels.length;
    for (let i = 0; i < depth - 1; i++) {
      const key = i === 0 ? a : b;
      let next = level.get(key) as Level<C> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(key, next);
      }
      level = next;
    }
    const last = depth === 1 ? a : depth === 2 ? b : c;
    const found = level.get(last) as C | undefined;
    if (found !== undefined) return found;
    return this.added(level, last, [a, b, c]);
  }

  private added(level: Level<C>, key: string, values: string[]): C {
    // Past the limit, new label sets share the overflow cell (as the SDK's overflow series).
    if (this.all.length >= CARDINALITY_LIMIT - 1) {
      this.overflow ??= this.make(OVERFLOW);
      level.set(key, this.overflow);
      return this.overflow;
    }
    const attributes: Attributes = {};
    this.labels.forEach((label, i) => {
      attributes[label] = values[i] ?? "";
    });
    const cell = this.make(attributes);
    this.all.push(cell);
    level.set(key, cell);
    return cell;
  }

  /** Every cell recorded into so far (the overflow cell last, when there is one). */
  private recorded(): (C & { start: HrTime })[] {
    const cells = this.overflow ? [...this.all, this.overflow] : this.all;
    return cells.filter((cell): cell is C & { start: HrTime } => cell.start !== undefined);
  }

  /** What the family's points are (sum or histogram) and one cell's value. */
  protected abstract readonly shape: { dataPointType: DataPointType; isMonotonic?: boolean };
  protected abstract pointValue(cell: C): number | Histogram;

  /** The family as a reader reports it (cumulative), or undefined when nothing was recorded. */
  data(end: HrTime): MetricData | undefined {
    const cells = this.recorded();
    if (cells.length === 0) return undefined;
    return {
      descriptor: {
        name: this.name,
        description: this.description,
        unit: this.unit,
        valueType: ValueType.DOUBLE,
      },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      ...this.shape,
      dataPoints: cells.map((cell) => ({
        startTime: cell.start,
        endTime: end,
        attributes: cell.attributes,
        value: this.pointValue(cell),
      })),
    } as MetricData;
  }
}

export class CounterFamily extends Family<CounterCell> {
  protected readonly shape = { dataPointType: DataPointType.SUM, isMonotonic: true };
  protected make(attributes: Attributes): CounterCell {
    return new CounterCell(attributes);
  }
  protected pointValue(cell: CounterCell): number {
    return cell.value;
  }
  /** Adds `value` to the cell of these labels (looks it up: keep the cell where labels are fixed). */
  add(value: number, a: string, b = "", c = ""): void {
    this.cell(a, b, c).add(value);
  }
}

export class HistogramFamily extends Family<HistogramCell> {
  protected readonly shape = { dataPointType: DataPointType.HISTOGRAM };
  constructor(
    name: string,
    description: string,
    unit: string,
    labels: readonly string[],
    readonly boundaries: readonly number[],
  ) {
    super(name, description, unit, labels);
  }
  protected make(attributes: Attributes): HistogramCell {
    return new HistogramCell(attributes, this.boundaries);
  }
  protected pointValue(cell: HistogramCell): Histogram {
    return {
      buckets: { boundaries: [...this.boundaries], counts: Array.from(cell.counts) },
      sum: cell.sum,
      count: cell.count,
      min: cell.min,
      max: cell.max,
    };
  }
  /** Records `value` into the cell of these labels (looks it up: keep the cell where labels are fixed). */
  record(value: number, a: string, b = "", c = ""): void {
    this.cell(a, b, c).record(value);
  }
}

/** The runtime's own counters and histograms, handed to the SDK's readers at collection time. */
export class LocalMetrics implements MetricProducer {
  private readonly families: (CounterFamily | HistogramFamily)[] = [];

  /** @param scope the instrumentation scope the figures are reported under (the meter's name). */
  constructor(private readonly scope: string) {}

  counter(name: string, description: string, labels: readonly string[]): CounterFamily {
    const family = new CounterFamily(name, description, "", labels);
    this.families.push(family);
    return family;
  }

  histogram(
    name: string,
    options: { description: string; unit: string; boundaries: readonly number[] },
    labels: readonly string[],
  ): HistogramFamily {
    const family = new HistogramFamily(name, options.description, options.unit, labels, options.boundaries);
    this.families.push(family);
    return family;
  }

  async collect(): Promise<CollectionResult> {
    const end = hrNow();
    const metrics: MetricData[] = [];
    for (const family of this.families) {
      const data = family.data(end);
      if (data) metrics.push(data);
    }
    return {
      // Readers keep the resource of their MeterProvider; this one is not read.
      resourceMetrics: {
        resource: emptyResource(),
        scopeMetrics: [{ scope: { name: this.scope }, metrics }],
      },
      errors: [],
    };
  }
}
