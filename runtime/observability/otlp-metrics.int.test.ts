// The runtime's metrics pushed over OTLP (HTTP/protobuf), as the standard environment asks: a
// runtime started with OTEL_METRICS_EXPORTER=otlp and an OTLP endpoint sends, every
// OTEL_METRIC_EXPORT_INTERVAL, the same instruments GET /metrics shows, under its service name,
// to a real HTTP receiver in this test that decodes the protobuf request.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { runLifecycle } from "../testing/lifecycle";
import { startOtlpReceiver } from "../testing/otlp-receiver";
import { waitFor } from "../testing/processes";
import { type RunningRuntime, startRuntime } from "../testing/running-runtime";
import { METRIC_NAMES } from "./metrics";

let receiver: ReturnType<typeof startOtlpReceiver>;
let runtime: RunningRuntime;

beforeAll(async () => {
  receiver = startOtlpReceiver();
  runtime = await startRuntime({
    env: {
      OTEL_METRICS_EXPORTER: "otlp",
      OTEL_TRACES_EXPORTER: "none",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRIC_EXPORT_INTERVAL: "250",
    },
  });
}, 90_000);

afterAll(async () => {
  await runtime?.stop();
  await receiver?.stop();
});

test("every metric of GET /metrics arrives over OTLP, from the runtime's service", async () => {
  await runLifecycle(runtime.url);
  // OpenTelemetry names: counters without the `_total` the Prometheus serializer appends.
  const expected = Object.values(METRIC_NAMES).map((name) => name.replace(/_total$/, ""));
  const names = () => new Set(receiver.metrics.filter((m) => m.service === "angzarr").map((m) => m.name));
  await waitFor("every metric over OTLP", () => expected.every((name) => names().has(name)), 30_000).catch(
    () => undefined,
  );
  expect([...names()].sort()).toEqual(expect.arrayContaining(expected.sort()));
  // Nothing else pushes: no span reached the receiver (traces are off).
  expect(receiver.spans).toEqual([]);
}, 60_000);
