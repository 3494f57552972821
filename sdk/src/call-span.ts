// The spans angzarr's own helpers start (tracing.ts: `traced`, `serverSpan`), created without the
// SDK's Tracer: each lives for one call, and the Tracer's general path (attribute sanitising of
// every value through the AnyValue checks, a time origin per span, a span-metrics closure,
// HrTime arithmetic at start and end) cost more than the rest of the span (bench/README.md, "What
// every-span tracing costs per command"). What stays the SDK's: the sampler chosen from
// OTEL_TRACES_SAMPLER[_ARG], the id generator, the resource, the span processors, the span limits
// (the SDK's defaults: 128 attributes, 128 events, 128 links, values not truncated) and the
// attribute rules (`maybeAddAttribute` for anything but a string, a number or a boolean). A
// CallSpan is an API `Span` and an SDK `ReadableSpan`: the processors see it as they see an SDK span.
import {
  type Attributes,
  type AttributeValue,
  type Context,
  diag,
  type Exception,
  type HrTime,
  INVALID_SPAN_CONTEXT,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import type { InstrumentationScope } from "@opentelemetry/core";
import {
  AddAttributeDecision,
  cleanAttributes,
  cleanSimpleAttributes,
  isTracingSuppressed,
  maybeAddAttribute,
} from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import {
  type IdGenerator,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  type SpanProcessor,
  type TimedEvent,
} from "@opentelemetry/sdk-trace";

/** The SDK's default span limits (TracerProvider without `spanLimits`). */
const ATTRIBUTE_LIMITS = { attributeCountLimit: 128, attributeValueLengthLimit: Infinity };
const EVENT_LIMIT = 128;
const LINK_LIMIT = 128;

/** Milliseconds as HrTime ([seconds, nanoseconds]), as the SDK's `millisToHrTime`. */
function hrTimeOf(millis: number): HrTime {
  const seconds = Math.trunc(millis / 1000);
  return [seconds, Math.round((millis - seconds * 1000) * 1e6)];
}

/** `start` + `millis` as HrTime, exactly as the SDK adds a duration to its start. */
function hrTimeAfter(start: HrTime, millis: number): HrTime {
  const [seconds, nanos] = hrTimeOf(millis);
  const total = start[1] + nanos;
  return total >= 1e9 ? [start[0] + seconds + 1, total - 1e9] : [start[0] + seconds, total];
}

/** A time given to `end` / `addEvent` as epoch milliseconds (the SDK's `TimeInput` forms). */
function epochMillisOf(time: TimeInput, span: CallSpan): number {
  if (Array.isArray(time)) return time[0] * 1000 + time[1] / 1e6;
  if (time instanceof Date) return time.getTime();
  // A number no later than performance.now() is a performance timestamp (the SDK's reading).
  return time <= performance.now() ? time + span.performanceOffset : time;
}

/** What a CallSpan needs from the provider the SDK was started with. */
export interface CallSpanSource {
  sampler: Sampler;
  idGenerator: IdGenerator;
  resource: Resource;
  scope: InstrumentationScope;
  processor: SpanProcessor;
}

/** The attribute rules of the SDK's span, with strings, numbers and booleans set directly. */
function addAttribute(attributes: Attributes, count: number, key: string, value: unknown): number {
  const kind = typeof value;
  if ((kind === "string" || kind === "number" || kind === "boolean") && key.length > 0) {
    if (Object.hasOwn(attributes, key)) {
      attributes[key] = value as AttributeValue;
      return count;
    }
    if (count >= ATTRIBUTE_LIMITS.attributeCountLimit) return -1;
    attributes[key] = value as AttributeValue;
    return count + 1;
  }
  const decision = maybeAddAttribute({
    key,
    value: value as AttributeValue,
    attributes,
    limits: ATTRIBUTE_LIMITS,
    currentAttributesCount: count,
  });
  if (decision === AddAttributeDecision.DROP_LIMIT_REACHED) return -1;
  return decision === AddAttributeDecision.ADD_NEW ? count + 1 : count;
}

export class CallSpan implements Span, ReadableSpan {
  readonly attributes: Attributes = {};
  readonly links: Link[] = [];
  readonly events: TimedEvent[] = [];
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  /** Epoch milliseconds at the start, and performance.now() then (the end is start + elapsed). */
  readonly startMillis: number;
  private readonly startPerformance: number;
  /** Milliseconds from start to end; -1 until the span ends. */
  private elapsed = -1;
  private attributeCount = 0;
  private dropped = 0;
  private droppedEvents = 0;
  private droppedLinks = 0;
  /** The span's `traceparent` once asked for (tracing.ts formats it at most once). */
  traceparent: string | undefined;

  constructor(
    public name: string,
    readonly kind: SpanKind,
    private readonly context: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    private readonly source: CallSpanSource,
  ) {
    this.startMillis = Date.now();
    this.startPerformance = performance.now();
  }

  /** Epoch milliseconds minus performance.now() at the start (to read performance timestamps). */
  get performanceOffset(): number {
    return this.startMillis - this.startPerformance;
  }

  get resource(): Resource {
    return this.source.resource;
  }

  get instrumentationScope(): InstrumentationScope {
    return this.source.scope;
  }

  spanContext(): SpanContext {
    return this.context;
  }

  get ended(): boolean {
    return this.elapsed >= 0;
  }

  get startTime(): HrTime {
    return hrTimeOf(this.startMillis);
  }

  get endTime(): HrTime {
    return hrTimeAfter(this.startTime, Math.max(0, this.elapsed));
  }

  get duration(): HrTime {
    return hrTimeOf(Math.max(0, this.elapsed));
  }

  get droppedAttributesCount(): number {
    return this.dropped;
  }

  get droppedEventsCount(): number {
    return this.droppedEvents;
  }

  get droppedLinksCount(): number {
    return this.droppedLinks;
  }

  isRecording(): boolean {
    return !this.ended;
  }

  /** False (and a warning, as the SDK's span gives) once the span has ended. */
  private open(): boolean {
    if (!this.ended) return true;
    diag.warn(
      `Cannot execute the operation on ended Span {traceId: ${this.context.traceId}, spanId: ${this.context.spanId}}`,
    );
    return false;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (value === undefined || !this.open()) return this;
    const count = addAttribute(this.attributes, this.attributeCount, key, value);
    if (count < 0) this.dropped++;
    else this.attributeCount = count;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    if (!this.open()) return this;
    for (const key in attributes) {
      if (!Object.hasOwn(attributes, key)) continue;
      const value = attributes[key];
      if (value === undefined) continue;
      const count = addAttribute(this.attributes, this.attributeCount, key, value);
      if (count < 0) this.dropped++;
      else this.attributeCount = count;
    }
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (!this.open()) return this;
    let attributes: Attributes | undefined;
    let at = time;
    if (
      typeof attributesOrTime === "number" ||
      Array.isArray(attributesOrTime) ||
      attributesOrTime instanceof Date
    ) {
      at ??= attributesOrTime;
    } else attributes = attributesOrTime;
    if (this.events.length >= EVENT_LIMIT) {
      this.events.shift();
      this.droppedEvents++;
    }
    this.events.push({
      name,
      time:
        at === undefined
          ? hrTimeAfter(this.startTime, performance.now() - this.startPerformance)
          : hrTimeOf(epochMillisOf(at, this)),
      // Events take simple values only, as the SDK's span reads them.
      ...cleanSimpleAttributes(attributes, ATTRIBUTE_LIMITS),
    });
    return this;
  }

  addLink(link: Link): this {
    if (!this.open()) return this;
    if (this.links.length >= LINK_LIMIT) {
      this.links.shift();
      this.droppedLinks++;
    }
    this.links.push({ context: link.context, ...cleanAttributes(link.attributes, ATTRIBUTE_LIMITS) });
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (!this.open() || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK)
      return this;
    this.status =
      status.code === SpanStatusCode.ERROR && typeof status.message === "string"
        ? { code: status.code, message: status.message }
        : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (this.open()) this.name = name;
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === "string") attributes["exception.message"] = exception;
    else if (exception) {
      if (exception.code) attributes["exception.type"] = exception.code.toString();
      else if (exception.name) attributes["exception.type"] = exception.name;
      if (exception.message) attributes["exception.message"] = exception.message;
      if (exception.stack) attributes["exception.stacktrace"] = exception.stack;
    }
    if (attributes["exception.type"] || attributes["exception.message"])
      this.addEvent("exception", attributes, time);
    else diag.warn(`Failed to record an exception ${exception}`);
  }

  end(endTime?: TimeInput): void {
    if (this.ended) {
      diag.error(
        `${this.name} ${this.context.traceId}-${this.context.spanId} - You can only call end() on a span once.`,
      );
      return;
    }
    // Ends before the start (a given end time) make a zero duration, as in the SDK's span.
    this.elapsed = Math.max(
      0,
      endTime === undefined
        ? performance.now() - this.startPerformance
        : epochMillisOf(endTime, this) - this.startMillis,
    );
    this.source.processor.onEnding?.(this);
    this.source.processor.onEnd(this);
  }
}

/**
 * A span that records nothing (its trace is not sampled, or the sampler dropped it): what the
 * API's NonRecordingSpan is, plus the `traceparent` of its context, formatted at most once or
 * given as read (tracing.ts carries it to the store, the trace links and the program, so that they
 * follow the "not sampled" decision).
 */
export class UnrecordedSpan implements Span {
  constructor(
    private readonly context: SpanContext,
    public traceparent?: string,
  ) {}

  spanContext(): SpanContext {
    return this.context;
  }

  setAttribute(): this {
    return this;
  }

  setAttributes(): this {
    return this;
  }

  addEvent(): this {
    return this;
  }

  addLink(): this {
    return this;
  }

  addLinks(): this {
    return this;
  }

  setStatus(): this {
    return this;
  }

  updateName(): this {
    return this;
  }

  end(): void {}

  isRecording(): boolean {
    return false;
  }

  recordException(): void {}
}

/**
 * Starts a span as the SDK's Tracer would (suppressed tracing, the sampler's decision, its
 * attributes and trace state), without its general path: an UnrecordedSpan when the sampler
 * drops it, a CallSpan otherwise. `attributes` are given to the sampler and set on the span.
 */
export function startCallSpan(
  source: CallSpanSource,
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  parent: Context,
): Span {
  if (isTracingSuppressed(parent)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  const parentSpan = trace.getSpanContext(parent);
  const validParent =
    parentSpan !== undefined && trace.isSpanContextValid(parentSpan) ? parentSpan : undefined;
  const spanId = source.idGenerator.generateSpanId();
  const traceId = validParent?.traceId ?? source.idGenerator.generateTraceId();
  const sampling = source.sampler.shouldSample(parent, traceId, name, kind, attributes, []);
  const traceState = sampling.traceState ?? validParent?.traceState;
  const context: SpanContext = {
    traceId,
    spanId,
    traceFlags:
      sampling.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
    ...(traceState ? { traceState } : {}),
  };
  if (sampling.decision === SamplingDecision.NOT_RECORD) return new UnrecordedSpan(context);
  const span = new CallSpan(name, kind, context, validParent, source);
  span.setAttributes(attributes);
  if (sampling.attributes) span.setAttributes(sampling.attributes);
  source.processor.onStart(span, parent);
  return span;
}
