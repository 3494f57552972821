// The coordinator's side of tracing: start-up from the environment (sdk/src/tracing.ts says when
// it is on), trace ids in log lines, and a server span for every RPC a listener takes (its
// caller's `traceparent` continues the trace).
import {
  activeTraceIds,
  SpanKind,
  serverSpan,
  startTracing,
  stopTracing,
  traced,
  traceHeaders,
  tracingEnabled,
} from "@angzarr/sdk";
import type { DescMethod } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { setTraceLookup } from "./log";
import { flushMetricsExport, nameMetricsService } from "./metrics";

/**
 * Starts tracing for this coordinator when the environment asks for it, and names the service
 * its pushed metrics come from (metrics.ts pushes them when asked for, from the start).
 */
export async function startRuntimeTracing(serviceName = "angzarr"): Promise<boolean> {
  nameMetricsService(serviceName);
  const on = await startTracing(serviceName);
  if (on) setTraceLookup(activeTraceIds);
  return on;
}

/** Sends the spans and metrics not sent yet and stops tracing. */
export async function stopRuntimeTracing(): Promise<void> {
  setTraceLookup(undefined);
  await Promise.all([stopTracing(), flushMetricsExport()]);
}

/** The name of a method's spans: `package.Service/Method`. */
export const spanNameOf = (method: DescMethod): string => `${method.parent.typeName}/${method.name}`;

/**
 * The SERVER span of one served call (tracing on), its caller's `traceparent` continued, around
 * `run`; the command the call runs takes it over (`tracedOrServed` in the pipeline): one span per
 * command. `name` is `spanNameOf` the method.
 */
export function servedSpan<T>(name: string, header: Headers, run: () => Promise<T>): Promise<T> {
  return serverSpan(name, header, () => ({ "rpc.system": "connect_rpc", "rpc.method": name }), run, true);
}

/**
 * Connect server interceptor: `servedSpan` around every call (nothing when tracing is off). The
 * gateway's lean methods start the same span without it (lean-unary.ts).
 */
export const traceInterceptor: Interceptor = (next) => (request) => {
  if (!tracingEnabled()) return next(request);
  return servedSpan(spanNameOf(request.method), request.header, () => next(request));
};

/** Connect client interceptor: one CLIENT span per call, its `traceparent` sent along. */
export const traceClientInterceptor: Interceptor = (next) => (request) => {
  if (!tracingEnabled()) return next(request);
  const method = `${request.method.parent.typeName}/${request.method.name}`;
  return traced(
    method,
    { "rpc.system": "connect_rpc", "rpc.method": method, "server.address": request.url },
    () => {
      for (const [key, value] of Object.entries(traceHeaders())) request.header.set(key, value);
      return next(request);
    },
    SpanKind.CLIENT,
  );
};
