// OpenTelemetry tracing for every angzarr process (coordinator and domain programs alike).
//
// On only when the standard environment asks for it: OTEL_TRACES_EXPORTER=otlp, or an OTLP
// endpoint (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) with
// OTEL_TRACES_EXPORTER unset; never when OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
// Off, the SDK is never loaded and every helper here runs its callback directly: no span, no
// context, no allocation beyond the call. On, spans go out as OTLP/HTTP protobuf (otlp-spans.ts:
// each encoded as it ends, POSTed in batches; OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS,
// _TIMEOUT, _COMPRESSION and OTEL_BSP_* as the official exporter reads them), sampled
// per OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (default parentbased_always_on), the context
// follows async calls (AsyncLocalStorage), and W3C `traceparent` carries it between processes.
import {
  type Attributes,
  type Context,
  type ContextManager,
  context,
  propagation,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import type { CallSpanSource } from "./call-span";

let enabled = false;
/**
 * The sampler follows the parent's decision (the default, parentbased_*): inside an unsampled
 * trace no span would be recorded, so none is started (no span object, no context switch).
 */
let parentBased = true;
let shutdownHook: (() => Promise<void>) | undefined;

/** True when the environment asks for traces (see the header). */
export function tracingRequested(env: Record<string, string | undefined> = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? "").toLowerCase() === "true") return false;
  const exporter = (env.OTEL_TRACES_EXPORTER ?? "").trim().toLowerCase();
  if (exporter === "none") return false;
  if (exporter.split(",").includes("otlp")) return true;
  return (
    exporter === "" && Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
  );
}

export function tracingEnabled(): boolean {
  return enabled;
}

/**
 * Loads the SDK and registers it globally when the environment asks for traces; a no-op otherwise
 * (and when already started). `serviceName` is used unless OTEL_SERVICE_NAME says otherwise.
 */
export async function startTracing(serviceName: string): Promise<boolean> {
  if (enabled || !tracingRequested()) return enabled;
  const [sdk, { OtlpSpanProcessor }, { AsyncLocalStorageContextManager }, core, resources, { log }, calls] =
    await Promise.all([
      import("@opentelemetry/sdk-trace"),
      import("./otlp-spans"),
      import("@opentelemetry/context-async-hooks"),
      import("@opentelemetry/core"),
      import("@opentelemetry/resources"),
      import("./log"),
      import("./call-span"),
    ]);
  const env = process.env;
  const num = (name: string): number | undefined => {
    const value = Number(env[name]);
    return env[name] && Number.isFinite(value) && value >= 0 ? value : undefined;
  };
  const ratio = Math.min(1, num("OTEL_TRACES_SAMPLER_ARG") ?? 1);
  const samplers: Record<string, () => import("@opentelemetry/sdk-trace").Sampler> = {
    always_on: () => new sdk.AlwaysOnSampler(),
    always_off: () => new sdk.AlwaysOffSampler(),
    traceidratio: () => new sdk.TraceIdRatioBasedSampler(ratio),
    parentbased_always_on: () => new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() }),
    parentbased_always_off: () => new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() }),
    parentbased_traceidratio: () =>
      new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(ratio) }),
  };
  const samplerName = (env.OTEL_TRACES_SAMPLER ?? "").trim().toLowerCase();
  const chosen = samplers[samplerName] ?? samplers.parentbased_always_on;
  parentBased = samplers[samplerName] === undefined || samplerName.startsWith("parentbased_");
  const compression = (env.OTEL_EXPORTER_OTLP_TRACES_COMPRESSION ?? env.OTEL_EXPORTER_OTLP_COMPRESSION ?? "")
    .trim()
    .toLowerCase();
  const timeout = num("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") ?? num("OTEL_EXPORTER_OTLP_TIMEOUT");
  const exportOptions = {
    url: tracesUrl(env),
    headers: {
      ...parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS),
      ...parseHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
    },
    ...(compression === "gzip" ? { compression: "gzip" as const } : {}),
    ...(timeout ? { timeoutMillis: timeout } : {}),
    ...(num("OTEL_BSP_SCHEDULE_DELAY") !== undefined
      ? { scheduledDelayMillis: num("OTEL_BSP_SCHEDULE_DELAY") }
      : {}),
    ...(num("OTEL_BSP_MAX_QUEUE_SIZE") ? { maxQueueSize: num("OTEL_BSP_MAX_QUEUE_SIZE") } : {}),
    ...(num("OTEL_BSP_MAX_EXPORT_BATCH_SIZE")
      ? { maxExportBatchSize: num("OTEL_BSP_MAX_EXPORT_BATCH_SIZE") }
      : {}),
    onError: (event: string, fields: Record<string, unknown>) => log.warn(event, fields),
  };
  const resource = resources.resourceFromAttributes({
    "service.name": env.OTEL_SERVICE_NAME || serviceName,
    "process.pid": process.pid,
  });
  const sampler = chosen ? chosen() : new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
  const idGenerator = new sdk.RandomIdGenerator();
  const processor = new OtlpSpanProcessor(exportOptions);
  const provider = new sdk.TracerProvider({ resource, sampler, idGenerator, spanProcessors: [processor] });
  // The helpers' spans (`traced`, `serverSpan`) share all of it, and the tracer's scope.
  callSpans = { sampler, idGenerator, resource, scope: { name: TRACER_NAME }, processor };
  startCallSpan = calls.startCallSpan;
  CallSpanClass = calls.CallSpan;
  UnrecordedSpanClass = calls.UnrecordedSpan;

  const manager = new AsyncLocalStorageContextManager().enable();
  // The helpers ask this manager directly (not through the API's global lookup) unless another
  // manager was registered first, which the API then keeps using.
  contexts = context.setGlobalContextManager(manager) ? manager : undefined;
  propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  shutdownHook = () => provider.shutdown();
  enabled = true;
  return true;
}

/**
 * The OTLP/HTTP traces URL: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else
 * OTEL_EXPORTER_OTLP_ENDPOINT with `v1/traces` appended, else the collector's local default.
 */
export function tracesUrl(env: Record<string, string | undefined>): string {
  const own = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (own) return own;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || "http://localhost:4318";
  return `${base}${base.endsWith("/") ? "" : "/"}v1/traces`;
}

/** `key=value,key2=value2` (values percent-encoded), the OTEL_EXPORTER_OTLP_*HEADERS format. */
export function parseHeaders(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? "").split(",")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    try {
      out[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      // A malformed pair is left out, as the official exporter does.
    }
  }
  return out;
}

/** Sends what is buffered and stops the SDK (call before the process exits). */
export async function stopTracing(): Promise<void> {
  const hook = shutdownHook;
  shutdownHook = undefined;
  callSpans = undefined;
  contexts = undefined;
  enabled = false;
  await hook?.();
  // Unregistered, so that a later startTracing may register anew (with other settings).
  trace.disable();
  propagation.disable();
  context.disable();
}

/** The instrumentation scope of the helpers' spans. */
const TRACER_NAME = "angzarr";
let callSpans: CallSpanSource | undefined;
let startCallSpan: typeof import("./call-span").startCallSpan | undefined;
let CallSpanClass: typeof import("./call-span").CallSpan | undefined;
let UnrecordedSpanClass: typeof import("./call-span").UnrecordedSpan | undefined;
/** The context manager registered by startTracing (undefined: ask the API). */
let contexts: ContextManager | undefined;

/** The active context (AsyncLocalStorage). */
function activeContext(): Context {
  return contexts === undefined ? context.active() : contexts.active();
}

/** Runs `run` with `ctx` active. */
function withContext<T>(ctx: Context, run: () => T): T {
  return contexts === undefined ? context.with(ctx, run) : contexts.with(ctx, run);
}

/** A span of the helpers (call-span.ts: the SDK's sampler, ids and processors, not its Tracer). */
function startSpan(name: string, kind: SpanKind, attributes: Attributes, parent: Context): Span {
  if (callSpans === undefined || startCallSpan === undefined)
    return trace.getTracer(TRACER_NAME).startSpan(name, { kind, attributes }, parent);
  return startCallSpan(callSpans, name, kind, attributes, parent);
}

/** The key under which the API keeps a context's span (`trace.setSpan`, `trace.getSpan`). */
const SPAN_KEY = Symbol.for("OpenTelemetry Context Key SPAN");

/**
 * A context that is `parent` with one value set: what `parent.setValue(key, value)` gives, without
 * the API's BaseContext copying every value of the parent into a new Map (and making three
 * closures) for each span. Lookups walk up the frames to the first BaseContext.
 */
class ContextFrame implements Context {
  constructor(
    private readonly parent: Context,
    private readonly key: symbol,
    private readonly value: unknown,
  ) {}

  getValue(key: symbol): unknown {
    return key === this.key ? this.value : this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new ContextFrame(this, key, value);
  }

  deleteValue(key: symbol): Context {
    return new ContextFrame(this, key, undefined);
  }
}

/** Runs `run` with `span` active on top of `base` (one context switch), and ends the span. */
async function inSpan<T>(span: Span, run: () => Promise<T>, base: Context): Promise<T> {
  try {
    return await withContext(new ContextFrame(base, SPAN_KEY, span), run);
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Runs `run` inside a new span (child of the active one) when tracing is on. `attributes` may be a
 * function, called only when a span is started (nothing is built while tracing is off).
 */
export function traced<T>(
  name: string,
  attributes: Attributes | (() => Attributes),
  run: () => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  if (!enabled) return run();
  const active = activeContext();
  if (parentBased && unsampled(active)) return run();
  const attrs = typeof attributes === "function" ? attributes() : attributes;
  return inSpan(startSpan(name, kind, attrs, active), run, active);
}

/**
 * The server span of the call being served (set by `serverSpan` in the context it runs in): a
 * step of that call may take it over instead of starting a child span (`tracedOrServed`).
 */
const SERVED = Symbol.for("angzarr.served-span");
/** Server spans already taken over by a step: a second step (a cascade) gets its own span. */
const claimed = new WeakSet<Span>();

/**
 * Like `traced`, but when the active span is the server span of the call being served and no
 * other step took it over yet, that span gets `attributes` and `run` runs in it: one span per
 * served call rather than a server span with a single child doing all the work.
 */
export function tracedOrServed<T>(
  name: string,
  attributes: () => Attributes,
  run: () => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  if (!enabled) return run();
  const active = activeContext();
  const served = active.getValue(SERVED) as Span | undefined;
  if (served !== undefined && !claimed.has(served) && trace.getSpan(active) === served) {
    claimed.add(served);
    if (served.isRecording()) served.setAttributes(attributes());
    return run();
  }
  return traced(name, attributes, run, kind);
}

/**
 * Sets attributes on the active span (nothing when off or outside a recorded span). `attributes`
 * may be a function, called only for a recorded span.
 */
export function annotateSpan(attributes: Attributes | (() => Attributes)): void {
  if (!enabled) return;
  const span = trace.getSpan(activeContext());
  if (span?.isRecording()) span.setAttributes(typeof attributes === "function" ? attributes() : attributes);
}

/** True when `ctx` holds a span of an unsampled trace (its own or a remote caller's decision). */
function unsampled(ctx: Context): boolean {
  const span = trace.getSpan(ctx);
  return span !== undefined && (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0;
}

/** Lower-case hex digits (what W3C trace context allows), by char code. */
const LOWER_HEX = new Uint8Array(128);
for (const c of "0123456789abcdef") LOWER_HEX[c.charCodeAt(0)] = 1;

function lowerHex(text: string, from: number, to: number): boolean {
  let nonZero = false;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code > 127 || LOWER_HEX[code] === 0) return false;
    if (code !== 48) nonZero = true;
  }
  return nonZero;
}

/**
 * The remote span context of a version-00 `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`), read
 * without the propagator's regular expression; undefined for anything else (another version,
 * surrounding space, an invalid id), which the propagator reads as before.
 */
function parseTraceparent(text: string): SpanContext | undefined {
  if (
    text.length !== 55 ||
    text.charCodeAt(0) !== 48 ||
    text.charCodeAt(1) !== 48 ||
    text.charCodeAt(2) !== 45 ||
    text.charCodeAt(35) !== 45 ||
    text.charCodeAt(52) !== 45 ||
    !lowerHex(text, 3, 35) ||
    !lowerHex(text, 36, 52)
  )
    return undefined;
  const hi = text.charCodeAt(53);
  const lo = text.charCodeAt(54);
  if (hi > 127 || lo > 127 || LOWER_HEX[hi] === 0 || LOWER_HEX[lo] === 0) return undefined;
  return {
    traceId: text.slice(3, 35),
    spanId: text.slice(36, 52),
    traceFlags: Number.parseInt(text.slice(53, 55), 16),
    isRemote: true,
  };
}

/** `parent` with the caller's trace context (W3C `traceparent`, `tracestate`) as its span. */
function remoteParent(parent: Context, traceparent: string, tracestate: string | undefined): Context {
  const remote = tracestate ? undefined : parseTraceparent(traceparent);
  // The text read is the traceparent the span would format (version 00, lower-case hex).
  if (remote)
    return new ContextFrame(
      parent,
      SPAN_KEY,
      UnrecordedSpanClass === undefined
        ? trace.wrapSpanContext(remote)
        : new UnrecordedSpanClass(remote, traceparent),
    );
  return propagation.extract(parent, tracestate ? { traceparent, tracestate } : { traceparent });
}

/** One header of an incoming call (the first value of a repeated one). */
function headerOf(
  headers: Headers | Record<string, string | string[] | undefined>,
  key: string,
): string | undefined {
  const value = headers instanceof Headers ? headers.get(key) : headers[key];
  return Array.isArray(value) ? value[0] : (value ?? undefined);
}

/**
 * A server span for an incoming call whose headers may carry a W3C `traceparent`: the span is a
 * child of the caller's, so the trace continues across the process boundary. `attributes` may be a
 * function, called only when a span is started (not for an unsampled caller's call). `claimable`:
 * a step of the call may take this span over (`tracedOrServed`) rather than start a child of it.
 */
export function serverSpan<T>(
  name: string,
  headers: Headers | Record<string, string | string[] | undefined>,
  attributes: Attributes | (() => Attributes),
  run: () => Promise<T>,
  claimable = false,
): Promise<T> {
  if (!enabled) return run();
  const traceparent = headerOf(headers, "traceparent");
  let parent = activeContext();
  if (traceparent) parent = remoteParent(parent, traceparent, headerOf(headers, "tracestate"));
  // An unsampled caller: its context goes on (downstream calls carry its decision), no span.
  if (parentBased && unsampled(parent)) return traceparent ? withContext(parent, run) : run();
  const attrs = typeof attributes === "function" ? attributes() : attributes;
  const span = startSpan(name, SpanKind.SERVER, attrs, parent);
  // Sampled out here: the span's context goes on (downstream calls carry the decision, and a step
  // following the parent's decision starts no span of its own), with nothing to end or to claim.
  if (parentBased && !span.isRecording()) return withContext(new ContextFrame(parent, SPAN_KEY, span), run);
  return inSpan(span, run, claimable ? new ContextFrame(parent, SERVED, span) : parent);
}

/** The active span's context when it is valid (tracing on, inside a span). */
function activeSpanContext(): SpanContext | undefined {
  const span = trace.getSpan(activeContext())?.spanContext();
  return span && trace.isSpanContextValid(span) ? span : undefined;
}

/**
 * The active span's `traceparent` (undefined outside a valid span). A helper's span, recorded or
 * not (ids from the id generator or a parent already validated, so valid), formats its own once:
 * a command asks for it two or three times; a caller's context read by the hand parser keeps the
 * text it was read from.
 */
function activeTraceparentOf(): { traceparent: string; span: SpanContext } | undefined {
  const active = trace.getSpan(activeContext());
  if (active === undefined) return undefined;
  if (
    (CallSpanClass !== undefined && active instanceof CallSpanClass) ||
    (UnrecordedSpanClass !== undefined && active instanceof UnrecordedSpanClass)
  ) {
    const span = active.spanContext();
    active.traceparent ??= traceparentOf(span);
    return { traceparent: active.traceparent, span };
  }
  const span = active.spanContext();
  return trace.isSpanContextValid(span) ? { traceparent: traceparentOf(span), span } : undefined;
}

/** W3C `traceparent` of a span context (version 00), written directly rather than by a propagator. */
function traceparentOf(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

/** The headers that continue the active trace in another process (empty when off or untraced). */
export function traceHeaders(): Record<string, string> {
  if (!enabled) return {};
  const active = activeTraceparentOf();
  if (!active) return {};
  const state = active.span.traceState?.serialize();
  return state ? { traceparent: active.traceparent, tracestate: state } : { traceparent: active.traceparent };
}

/** The active trace and span ids, for log lines; undefined when off or outside a span. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  if (!enabled) return undefined;
  const span = activeSpanContext();
  return span ? { trace_id: span.traceId, span_id: span.spanId } : undefined;
}

/** The active span's `traceparent`, to keep with something handled later (a stored event). */
export function activeTraceparent(): string | undefined {
  if (!enabled) return undefined;
  return activeTraceparentOf()?.traceparent;
}

/** Runs `run` with `traceparent` as the remote parent of the spans it starts (when on). */
export function withRemoteParent<T>(traceparent: string | undefined, run: () => Promise<T>): Promise<T> {
  if (!enabled || traceparent === undefined) return run();
  return withContext(remoteParent(activeContext(), traceparent, undefined), run);
}

export { SpanKind };
