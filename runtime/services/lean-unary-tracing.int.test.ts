// The gateway's lean methods with tracing on: the implementation runs inside the server span the
// tracing interceptor starts (named after the method, a child of the caller's `traceparent`, the
// one a command takes over), and gets the lean handler context itself, as with tracing off: its
// signal (two AbortControllers and their listeners) is made only when the implementation reads it,
// not for every call by Connect's interceptor plumbing.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { CommandBookSchema, CommandGateway, CommandResponseSchema } from "@angzarr/proto";
import { activeTraceparent, startTracing, stopTracing } from "@angzarr/sdk";
import { create, toBinary } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { traceInterceptor } from "../observability/tracing";
import { startOtlpReceiver } from "../testing/otlp-receiver";
import { waitFor } from "../testing/processes";
import { leanUnary } from "./lean-unary";

const saved = { ...process.env };
let receiver: ReturnType<typeof startOtlpReceiver>;

beforeAll(async () => {
  receiver = startOtlpReceiver();
  process.env.OTEL_TRACES_EXPORTER = "otlp";
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  process.env.OTEL_TRACES_SAMPLER = "parentbased_always_on";
  process.env.OTEL_BSP_SCHEDULE_DELAY = "10";
  expect(await startTracing("lean-unary-test")).toBe(true);
});

afterAll(async () => {
  await stopTracing();
  await receiver.stop();
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

test("with tracing on, a lean call runs in the method's server span with the lean context", async () => {
  const traceId = crypto.randomUUID().replace(/-/g, "");
  const callerSpan = "00f067aa0ba902b7";
  let seen: { context: HandlerContext; traceparent: string | undefined } | undefined;
  const execute = leanUnary(
    CommandGateway,
    CommandGateway.method.execute,
    async (_book, context) => {
      seen = { context, traceparent: activeTraceparent() };
      return create(CommandResponseSchema, {});
    },
    {
      acceptCompression: [],
      readMaxBytes: 1 << 20,
      writeMaxBytes: 1 << 20,
      interceptors: [traceInterceptor],
    },
  );
  const header = new Headers({
    "content-type": "application/proto",
    traceparent: `00-${traceId}-${callerSpan}-01`,
  });
  const answer = await execute({
    url: "http://127.0.0.1/angzarr.CommandGateway/Execute",
    header,
    fields: header,
    signal: new AbortController().signal,
    body: toBinary(CommandBookSchema, create(CommandBookSchema, {})),
  });
  expect(answer?.status).toBe(200);

  // The lean context itself: its signal is still the getter that makes it when first read (a
  // copy of the context, as Connect's interceptor plumbing gives the implementation, holds the
  // signal made).
  expect(Object.getOwnPropertyDescriptor(seen?.context, "signal")?.get).toBeDefined();

  // The active span was the method's server span, a child of the caller's.
  const [, trace, span] = seen?.traceparent?.split("-") ?? [];
  expect(trace).toBe(traceId);
  await waitFor("the server span", () => receiver.spans.some((s) => s.spanId === span), 10_000);
  const server = receiver.spans.find((s) => s.spanId === span);
  expect(server?.name).toBe("angzarr.CommandGateway/Execute");
  expect(server?.parentId).toBe(callerSpan);
  expect(server?.attributes["rpc.method"]).toBe("angzarr.CommandGateway/Execute");
});
