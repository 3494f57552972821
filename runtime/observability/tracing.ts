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

/**
 * Connect server interceptor: one SERVER span per call (nothing when tracing is off), which the
 * command the call runs takes over (`tracedOrServed` in the pipeline): one span per command.
 */
export const traceInterceptor: Interceptor = (next) => (request) => {
  if (!tracingEnabled()) return next(request);
  const method = `${request.method.parent.typeName}/${request.method.name}`;
  return serverSpan(
    method,
    request.header,
    { "rpc.system": "connect_rpc", "rpc.method": method },
    () => next(request),
    true,
  );
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
