// A root span the sampler drops (here every root: parentbased_always_off; in production the 90 %
// a ratio sampler leaves out) records nothing, but its context goes on: a step of the call starts
// no span of its own, and what the call stores or sends carries the dropped span's `traceparent`
// (flags 00), so that consumers and other processes follow the "not sampled" decision instead of
// sampling again. Nothing reaches the exporter.
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  activeTraceparent,
  serverSpan,
  startTracing,
  stopTracing,
  traced,
  tracedOrServed,
  traceHeaders,
} from "./tracing";

const saved = { ...process.env };
const KEYS = [
  "OTEL_TRACES_EXPORTER",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_TRACES_SAMPLER",
  "OTEL_BSP_SCHEDULE_DELAY",
];
let posts = 0;
const sink = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: () => {
    posts++;
    return new Response(null, { status: 200 });
  },
});

beforeAll(async () => {
  process.env.OTEL_TRACES_EXPORTER = "otlp";
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${sink.port}`;
  process.env.OTEL_TRACES_SAMPLER = "parentbased_always_off";
  process.env.OTEL_BSP_SCHEDULE_DELAY = "10";
  expect(await startTracing("sampled-out-test")).toBe(true);
});

afterAll(async () => {
  await stopTracing();
  sink.stop(true);
  for (const key of KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

test("a dropped server span passes its -00 traceparent on; steps and children start no span", async () => {
  let built = 0;
  const attributes = () => {
    built++;
    return { "angzarr.domain": "orders" };
  };
  const seen = await serverSpan(
    "angzarr.CommandGateway/Execute",
    {},
    { "rpc.system": "connect_rpc" },
    () =>
      tracedOrServed("command orders", attributes, async () => {
        const before = activeTraceparent();
        await Bun.sleep(1);
        const child = await traced("child", attributes, async () => activeTraceparent());
        return { before, after: activeTraceparent(), headers: traceHeaders(), child };
      }),
    true,
  );
  expect(seen.before).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  expect(seen.after).toBe(seen.before);
  expect(seen.child).toBe(seen.before);
  expect(seen.headers).toEqual({ traceparent: seen.before as string });
  expect(built).toBe(0);
  // Outside the call: no context left behind.
  expect(activeTraceparent()).toBeUndefined();
});

test("a remote -00 caller: the call runs in the caller's context, exactly as it was sent, no attributes built", async () => {
  const caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
  let built = 0;
  const attributes = () => {
    built++;
    return { "rpc.system": "connect_rpc" };
  };
  const seen = await serverSpan(
    "angzarr.AggregateService/Handle",
    { traceparent: caller },
    attributes,
    async () => {
      await Bun.sleep(1);
      return traceHeaders();
    },
  );
  expect(seen).toEqual({ traceparent: caller });
  expect(built).toBe(0);
});

test("nothing was exported", async () => {
  await stopTracing();
  expect(posts).toBe(0);
  expect(await startTracing("sampled-out-test")).toBe(true);
});
