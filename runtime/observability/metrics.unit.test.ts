// When the runtime pushes its metrics over OTLP: the standard variables, read as for traces.
import { expect, test } from "bun:test";
import { metricsExportRequested } from "./metrics";

test("OTLP metrics are pushed only when the environment asks for them", () => {
  expect(metricsExportRequested({})).toBe(false);
  expect(metricsExportRequested({ OTEL_METRICS_EXPORTER: "otlp" })).toBe(true);
  expect(metricsExportRequested({ OTEL_METRICS_EXPORTER: "prometheus, otlp" })).toBe(true);
  expect(metricsExportRequested({ OTEL_METRICS_EXPORTER: "prometheus" })).toBe(false);
  // An endpoint alone asks for it (the exporter's default is otlp), unless told otherwise.
  expect(metricsExportRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toBe(true);
  expect(metricsExportRequested({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://c:4318/v1/metrics" })).toBe(
    true,
  );
  expect(
    metricsExportRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_METRICS_EXPORTER: "none" }),
  ).toBe(false);
  expect(metricsExportRequested({ OTEL_METRICS_EXPORTER: "otlp", OTEL_SDK_DISABLED: "true" })).toBe(false);
});
