// The span export path of every angzarr process: a span processor of the official SDK that encodes
// each span into the OTLP/HTTP protobuf request body (opentelemetry/proto/collector/trace/v1
// ExportTraceServiceRequest) the moment it ends, and POSTs the body when a batch is full or its
// delay passes.
//
// Why not the SDK's BatchSpanProcessor with the official OTLP exporter: that pair keeps every span
// object until a batch of 512 is full, then encodes the whole batch in one go (a size pass and a
// write pass). Under load a process does that a few times a second, too rarely for the engine to
// optimise the encoder: measured in the counter program under 64 callers, the batch encoding cost
// 20–50 µs per span (bench/program-span.ts, bench/README.md), as much as the rest of the call.
// Encoding at the span's end runs as often as the calls themselves, stays optimised, writes each
// span once into one growing buffer, and lets the span object go at once.
//
// The bytes are the official serializer's, field for field and in the same order
// (otlp-spans.unit.test.ts compares them), so a collector sees exactly what it saw before.

import { WireType } from "@bufbuild/protobuf/wire";
import type { Attributes, AttributeValue, HrTime } from "@opentelemetry/api";
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace";

// Field numbers of the OTLP messages written here (opentelemetry-proto, v1).
/** collector/trace/v1 ExportTraceServiceRequest */
const REQUEST_RESOURCE_SPANS = 1;
/** trace/v1 ResourceSpans */
const RESOURCE_SPANS = { resource: 1, scopeSpans: 2, schemaUrl: 3 } as const;
/** resource/v1 Resource */
const RESOURCE = { attributes: 1, droppedAttributesCount: 2 } as const;
/** trace/v1 ScopeSpans */
const SCOPE_SPANS = { scope: 1, spans: 2, schemaUrl: 3 } as const;
/** common/v1 InstrumentationScope */
const SCOPE = { name: 1, version: 2, attributes: 3, droppedAttributesCount: 4 } as const;
/** trace/v1 Span */
const SPAN = {
  traceId: 1,
  spanId: 2,
  traceState: 3,
  parentSpanId: 4,
  name: 5,
  kind: 6,
  startTimeUnixNano: 7,
  endTimeUnixNano: 8,
  attributes: 9,
  droppedAttributesCount: 10,
  events: 11,
  droppedEventsCount: 12,
  links: 13,
  droppedLinksCount: 14,
  status: 15,
  flags: 16,
} as const;
/** trace/v1 Span.Event */
const EVENT = { timeUnixNano: 1, name: 2, attributes: 3, droppedAttributesCount: 4 } as const;
/** trace/v1 Span.Link */
const LINK = {
  traceId: 1,
  spanId: 2,
  traceState: 3,
  attributes: 4,
  droppedAttributesCount: 5,
  flags: 6,
} as const;
/** trace/v1 Status */
const STATUS = { message: 2, code: 3 } as const;
/** common/v1 KeyValue */
const KEY_VALUE = { key: 1, value: 2 } as const;
/** common/v1 AnyValue (a oneof) */
const ANY_VALUE = {
  string: 1,
  bool: 2,
  int: 3,
  double: 4,
  array: 5,
  kvlist: 6,
  bytes: 7,
} as const;
/** common/v1 ArrayValue and KeyValueList: their one repeated field */
const VALUES = 1;
/** trace/v1 SpanFlags: the context's remote-ness is known (bit 8), and it is remote (bit 9). */
const FLAG_HAS_IS_REMOTE = 0x100;
const FLAG_IS_REMOTE = 0x200;

const LEN = WireType.LengthDelimited;

/** Hex digit values by char code (-1: not a hex digit). */
const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

const utf8 = new TextEncoder();

/**
 * The protobuf writer of the encoder: one growing buffer, reused from batch to batch, written in
 * place (protobuf-es's BinaryWriter writes the same bytes, but turns every int64 into a BigInt and
 * copies its buffer out on `finish`, which this one does once per batch, for the request body).
 * A length-delimited field reserves one byte for its length and moves its content along in the
 * rare case the length needs more.
 */
class SpanWriter {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  /** Where each open length-delimited field's reserved length byte is. */
  private readonly forks: number[] = [];

  private ensure(size: number): void {
    if (this.pos + size <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + size));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }

  tag(field: number, type: WireType): this {
    return this.uint32((field << 3) | type);
  }

  uint32(value: number): this {
    this.ensure(5);
    const buf = this.buf;
    let v = value >>> 0;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
    return this;
  }

  /** An integer in [-2^63, 2^63) as a varint (negatives in two's complement, 10 bytes). */
  int64(value: number): this {
    this.ensure(10);
    const buf = this.buf;
    if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
      let v = value;
      while (v > 0x7f) {
        buf[this.pos++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      buf[this.pos++] = v;
      return this;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 0x7fn) {
      buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    buf[this.pos++] = Number(v);
    return this;
  }

  bool(value: boolean): this {
    this.ensure(1);
    this.buf[this.pos++] = value ? 1 : 0;
    return this;
  }

  double(value: number): this {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
    return this;
  }

  fixed32(value: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, value, true);
    this.pos += 4;
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  bytes(bytes: Uint8Array): this {
    return this.uint32(bytes.length).raw(bytes);
  }

  /** A lower- or upper-case hex id as bytes (a non-hex digit pair as 0, as the official writes). */
  hexId(hex: string): this {
    const size = hex.length >> 1;
    this.uint32(size);
    this.ensure(size);
    const buf = this.buf;
    for (let i = 0; i < size; i++) {
      const hi = HEX[hex.charCodeAt(2 * i) & 127] ?? -1;
      const lo = HEX[hex.charCodeAt(2 * i + 1) & 127] ?? -1;
      buf[this.pos++] = hi < 0 || lo < 0 ? 0 : (hi << 4) | lo;
    }
    return this;
  }

  /** UTF-8, length-prefixed; short ASCII (nearly every key and value) is copied char by char. */
  string(value: string): this {
    const length = value.length;
    if (length < 0x80) {
      this.ensure(length + 1);
      const buf = this.buf;
      let at = this.pos + 1;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code > 0x7f) break;
        buf[at++] = code;
      }
      if (i === length) {
        buf[this.pos] = length;
        this.pos = at;
        return this;
      }
    }
    this.fork();
    this.ensure(length * 3);
    this.pos += utf8.encodeInto(value, this.buf.subarray(this.pos, this.pos + length * 3)).written;
    return this.join();
  }

  /** Opens a length-delimited field (its content follows, then `join`). */
  fork(): this {
    this.ensure(1);
    this.forks.push(this.pos);
    this.buf[this.pos++] = 0;
    return this;
  }

  /** Closes the last field `fork` opened: writes its length. */
  join(): this {
    const at = this.forks.pop();
    if (at === undefined) throw new Error("SpanWriter: join without fork");
    const length = this.pos - at - 1;
    if (length < 0x80) {
      this.buf[at] = length;
      return this;
    }
    let size = 1;
    while (length >>> (7 * size) !== 0) size++;
    this.ensure(size - 1);
    this.buf.copyWithin(at + size, at + 1, this.pos);
    const end = this.pos + size - 1;
    this.pos = at;
    this.uint32(length);
    this.pos = end;
    return this;
  }

  /** What was written so far (valid until the next write) and starts over. */
  takeView(): Uint8Array {
    const written = this.buf.subarray(0, this.pos);
    this.pos = 0;
    return written;
  }

  /** A copy of what was written, and starts over. */
  finish(): Uint8Array {
    const written = this.buf.slice(0, this.pos);
    this.pos = 0;
    return written;
  }
}

/** Writes a lower- or upper-case hex id as bytes (what the official serializer writes). */
function writeHexId(writer: SpanWriter, field: number, hex: string): void {
  writer.tag(field, LEN).hexId(hex);
}

/** An HrTime ([seconds, nanoseconds]) as unsigned nanoseconds since the epoch, exactly (no bigint). */
function writeTime(writer: SpanWriter, field: number, [seconds, nanos]: HrTime): void {
  // seconds × 1e9 exceeds 2^53: split seconds at 16 bits so every product stays exact.
  const low16 = (seconds & 0xffff) * 1e9; // < 2^46
  const high = Math.floor(seconds / 0x10000) * 1e9; // × 2^16 below, < 2^46 before it
  const low = (high % 0x10000) * 0x10000 + (low16 % 0x100000000) + nanos;
  const carry = Math.floor(low / 0x100000000);
  const hi = Math.floor(high / 0x10000) + Math.floor(low16 / 0x100000000) + carry;
  writer
    .tag(field, WireType.Bit64)
    .fixed32(low >>> 0)
    .fixed32(hi >>> 0);
}

function writeAnyValue(writer: SpanWriter, value: AttributeValue | Record<string, unknown> | unknown): void {
  switch (typeof value) {
    case "string":
      writer.tag(ANY_VALUE.string, LEN).string(value);
      return;
    case "boolean":
      writer.tag(ANY_VALUE.bool, WireType.Varint).bool(value);
      return;
    case "number":
      if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63)
        writer.tag(ANY_VALUE.int, WireType.Varint).int64(value);
      else writer.tag(ANY_VALUE.double, WireType.Bit64).double(value);
      return;
    default:
      break;
  }
  if (value instanceof Uint8Array) {
    writer.tag(ANY_VALUE.bytes, LEN).bytes(value);
  } else if (Array.isArray(value)) {
    writer.tag(ANY_VALUE.array, LEN).fork();
    for (const item of value) {
      writer.tag(VALUES, LEN).fork();
      writeAnyValue(writer, item);
      writer.join();
    }
    writer.join();
  } else if (typeof value === "object" && value !== null) {
    writer.tag(ANY_VALUE.kvlist, LEN).fork();
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      writer.tag(VALUES, LEN).fork();
      writeKeyValue(writer, key, (value as Record<string, unknown>)[key]);
      writer.join();
    }
    writer.join();
  }
  // undefined and null: an empty AnyValue, as the official serializer writes.
}

function writeKeyValue(writer: SpanWriter, key: string, value: unknown): void {
  writer.tag(KEY_VALUE.key, LEN).string(key);
  writer.tag(KEY_VALUE.value, LEN).fork();
  writeAnyValue(writer, value);
  writer.join();
}

function writeAttributes(writer: SpanWriter, field: number, attributes: Attributes | undefined): void {
  if (attributes === undefined) return;
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    writer.tag(field, LEN).fork();
    writeKeyValue(writer, key, attributes[key]);
    writer.join();
  }
}

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | FLAG_HAS_IS_REMOTE | (isRemote ? FLAG_IS_REMOTE : 0);
}

/** One Span message (without its tag) into `writer`. */
function writeSpan(writer: SpanWriter, span: ReadableSpan): void {
  const context = span.spanContext();
  writeHexId(writer, SPAN.traceId, context.traceId);
  writeHexId(writer, SPAN.spanId, context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) writer.tag(SPAN.traceState, LEN).string(traceState);
  const parent = span.parentSpanContext;
  if (parent?.spanId) writeHexId(writer, SPAN.parentSpanId, parent.spanId);
  writer.tag(SPAN.name, LEN).string(span.name);
  // SpanKind of the API counts from INTERNAL = 0; OTLP's from UNSPECIFIED = 0.
  writer.tag(SPAN.kind, WireType.Varint).uint32(span.kind + 1);
  writeTime(writer, SPAN.startTimeUnixNano, span.startTime);
  writeTime(writer, SPAN.endTimeUnixNano, span.endTime);
  writeAttributes(writer, SPAN.attributes, span.attributes);
  writer.tag(SPAN.droppedAttributesCount, WireType.Varint).uint32(span.droppedAttributesCount);
  for (const event of span.events) {
    writer.tag(SPAN.events, LEN).fork();
    writeTime(writer, EVENT.timeUnixNano, event.time);
    writer.tag(EVENT.name, LEN).string(event.name);
    writeAttributes(writer, EVENT.attributes, event.attributes);
    writer.tag(EVENT.droppedAttributesCount, WireType.Varint).uint32(event.droppedAttributesCount ?? 0);
    writer.join();
  }
  writer.tag(SPAN.droppedEventsCount, WireType.Varint).uint32(span.droppedEventsCount);
  for (const link of span.links) {
    writer.tag(SPAN.links, LEN).fork();
    writeHexId(writer, LINK.traceId, link.context.traceId);
    writeHexId(writer, LINK.spanId, link.context.spanId);
    const linkState = link.context.traceState?.serialize();
    if (linkState) writer.tag(LINK.traceState, LEN).string(linkState);
    writeAttributes(writer, LINK.attributes, link.attributes);
    writer.tag(LINK.droppedAttributesCount, WireType.Varint).uint32(link.droppedAttributesCount ?? 0);
    writer.tag(LINK.flags, WireType.Bit32).fixed32(spanFlags(link.context.traceFlags, link.context.isRemote));
    writer.join();
  }
  writer.tag(SPAN.droppedLinksCount, WireType.Varint).uint32(span.droppedLinksCount);
  writer.tag(SPAN.status, LEN).fork();
  if (span.status.message) writer.tag(STATUS.message, LEN).string(span.status.message);
  writer.tag(STATUS.code, WireType.Varint).uint32(span.status.code);
  writer.join();
  writer.tag(SPAN.flags, WireType.Bit32).fixed32(spanFlags(context.traceFlags, parent?.isRemote));
}

type Resource = ReadableSpan["resource"];
type Scope = ReadableSpan["instrumentationScope"];

/** The spans of one (resource, scope) pair, encoded as ScopeSpans.spans entries. */
interface Group {
  resource: Resource;
  scope: Scope;
  spans: SpanWriter;
}

/**
 * Encodes ended spans into one ExportTraceServiceRequest, grouped by resource and instrumentation
 * scope in the order they first appear (as the official serializer groups them).
 */
export class SpanRequestEncoder {
  private groups: Group[] = [];
  /** Writers of emptied groups, kept for their grown buffers. */
  private spare: SpanWriter[] = [];
  private last: Group | undefined;
  private out = new SpanWriter();
  count = 0;

  add(span: ReadableSpan): void {
    let group = this.last;
    if (
      group === undefined ||
      group.resource !== span.resource ||
      group.scope !== span.instrumentationScope
    ) {
      group = this.groups.find((g) => g.resource === span.resource && g.scope === span.instrumentationScope);
      if (group === undefined) {
        group = {
          resource: span.resource,
          scope: span.instrumentationScope,
          spans: this.spare.pop() ?? new SpanWriter(),
        };
        this.groups.push(group);
      }
      this.last = group;
    }
    group.spans.tag(SCOPE_SPANS.spans, LEN).fork();
    writeSpan(group.spans, span);
    group.spans.join();
    this.count++;
  }

  /** The request body of every span added since the last call (undefined when none). */
  take(): Uint8Array | undefined {
    if (this.count === 0) return undefined;
    const out = this.out;
    const byResource = new Map<Resource, Group[]>();
    for (const group of this.groups) {
      const list = byResource.get(group.resource);
      if (list) list.push(group);
      else byResource.set(group.resource, [group]);
    }
    for (const [resource, groups] of byResource) {
      out.tag(REQUEST_RESOURCE_SPANS, LEN).fork();
      out.tag(RESOURCE_SPANS.resource, LEN).fork();
      writeAttributes(out, RESOURCE.attributes, resource.attributes);
      out.tag(RESOURCE.droppedAttributesCount, WireType.Varint).uint32(0);
      out.join();
      for (const { scope, spans } of groups) {
        out.tag(RESOURCE_SPANS.scopeSpans, LEN).fork();
        out.tag(SCOPE_SPANS.scope, LEN).fork();
        out.tag(SCOPE.name, LEN).string(scope.name);
        if (scope.version) out.tag(SCOPE.version, LEN).string(scope.version);
        const scoped = scope as Scope & { attributes?: Attributes; droppedAttributesCount?: number };
        writeAttributes(out, SCOPE.attributes, scoped.attributes);
        if (scoped.droppedAttributesCount)
          out.tag(SCOPE.droppedAttributesCount, WireType.Varint).uint32(scoped.droppedAttributesCount);
        out.join();
        out.raw(spans.takeView());
        if (scope.schemaUrl) out.tag(SCOPE_SPANS.schemaUrl, LEN).string(scope.schemaUrl);
        out.join();
        this.spare.push(spans);
      }
      if (resource.schemaUrl) out.tag(RESOURCE_SPANS.schemaUrl, LEN).string(resource.schemaUrl);
      out.join();
    }
    this.groups = [];
    this.last = undefined;
    this.count = 0;
    return out.finish();
  }
}

export interface OtlpSpanProcessorOptions {
  /** The traces URL (…/v1/traces). */
  url: string;
  headers?: Record<string, string>;
  /** Per POST, including its retries. */
  timeoutMillis?: number;
  compression?: "gzip" | "none";
  /** Spans per POST. */
  maxExportBatchSize?: number;
  /** The longest a span waits before its batch is sent. */
  scheduledDelayMillis?: number;
  /** Spans encoded but not yet sent beyond which new spans are dropped (and counted). */
  maxQueueSize?: number;
  /** Called when a POST fails for good (its spans are lost) or spans were dropped. */
  onError?: (event: "trace_export_failed" | "trace_spans_dropped", fields: Record<string, unknown>) => void;
}

/** Statuses worth another try (the OTLP/HTTP specification's retryable ones). */
const RETRYABLE = new Set([429, 502, 503, 504]);

/**
 * A SpanProcessor that encodes each sampled span as it ends (SpanRequestEncoder) and POSTs the
 * encoded batches as OTLP/HTTP protobuf, retrying retryable failures with backoff.
 */
export class OtlpSpanProcessor implements SpanProcessor {
  private readonly encoder = new SpanRequestEncoder();
  private readonly inflight = new Set<Promise<void>>();
  private readonly batchSize: number;
  private readonly delay: number;
  private readonly maxQueue: number;
  private readonly timeout: number;
  private readonly headers: Record<string, string>;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Spans encoded and not yet acknowledged or given up. */
  private queued = 0;
  private dropped = 0;
  private closed = false;

  constructor(private readonly options: OtlpSpanProcessorOptions) {
    this.batchSize = Math.max(1, options.maxExportBatchSize ?? 512);
    this.delay = options.scheduledDelayMillis ?? 5000;
    this.maxQueue = Math.max(this.batchSize, options.maxQueueSize ?? 2048);
    this.timeout = options.timeoutMillis ?? 10_000;
    this.headers = {
      ...options.headers,
      "content-type": "application/x-protobuf",
      ...(options.compression === "gzip" ? { "content-encoding": "gzip" } : {}),
    };
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.closed || (span.spanContext().traceFlags & 1) === 0) return;
    if (this.queued >= this.maxQueue) {
      this.dropped++;
      return;
    }
    this.encoder.add(span);
    this.queued++;
    if (this.encoder.count >= this.batchSize) this.send();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.send(), this.delay);
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  /** Sends every span encoded so far and waits for every POST in flight. */
  async forceFlush(): Promise<void> {
    this.send();
    while (this.inflight.size > 0) await Promise.all(this.inflight);
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    await this.forceFlush();
    this.closed = true;
  }

  private send(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.dropped > 0) {
      this.options.onError?.("trace_spans_dropped", { spans: this.dropped, max_queue_size: this.maxQueue });
      this.dropped = 0;
    }
    const spans = this.encoder.count;
    const encoded = this.encoder.take();
    if (encoded === undefined) return;
    const body: Uint8Array<ArrayBuffer> =
      this.options.compression === "gzip"
        ? Bun.gzipSync(encoded as Uint8Array<ArrayBuffer>)
        : (encoded as Uint8Array<ArrayBuffer>);
    const post = this.post(body, spans).finally(() => {
      this.queued -= spans;
      this.inflight.delete(post);
    });
    this.inflight.add(post);
  }

  /** One batch, with up to 4 retries (1 s backoff growing 1.5× to 5 s, jittered) within the timeout. */
  private async post(body: Uint8Array<ArrayBuffer>, spans: number): Promise<void> {
    const deadline = performance.now() + this.timeout;
    let backoff = 1000;
    let why = "";
    for (let attempt = 1; attempt <= 5; attempt++) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      try {
        const res = await fetch(this.options.url, {
          method: "POST",
          body,
          headers: this.headers,
          signal: AbortSignal.timeout(left),
        });
        await res.arrayBuffer();
        if (res.ok) return;
        why = `HTTP ${res.status}`;
        if (!RETRYABLE.has(res.status)) break;
      } catch (err) {
        why = (err as Error)?.message ?? String(err);
      }
      const wait = Math.min(backoff * (0.8 + Math.random() * 0.4), deadline - performance.now());
      if (wait <= 0) break;
      await Bun.sleep(wait);
      backoff = Math.min(backoff * 1.5, 5000);
    }
    this.options.onError?.("trace_export_failed", { spans, url: this.options.url, error: why });
  }
}
