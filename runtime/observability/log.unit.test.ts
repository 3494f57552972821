import { afterEach, beforeEach, expect, spyOn, test } from "bun:test";
import { createLogger, refreshLogLevel, setComponentLevels, setLogFormat, setTraceLookup } from "./log";

let written: string[];
let restore: () => void;
const saved = process.env.ANGZARR_LOG;

beforeEach(() => {
  written = [];
  const spy = spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  restore = () => spy.mockRestore();
  process.env.ANGZARR_LOG = "info";
  refreshLogLevel();
  setLogFormat("json");
});

afterEach(() => {
  restore();
  setTraceLookup(undefined);
  if (saved === undefined) delete process.env.ANGZARR_LOG;
  else process.env.ANGZARR_LOG = saved;
  refreshLogLevel();
});

test("per-component levels override the global one", () => {
  setComponentLevels({ gateway: "debug", supervisor: "error" });
  createLogger({ component: "gateway" }).debug("gateway.detail");
  createLogger({ component: "supervisor" }).warn("supervisor.warned");
  createLogger({ component: "pipeline" }).debug("pipeline.detail");
  createLogger({ component: "pipeline" }).info("pipeline.info");
  expect(written.map((l) => JSON.parse(l).event)).toEqual(["gateway.detail", "pipeline.info"]);
});

test("inside a traced operation each line carries trace_id and span_id", () => {
  setTraceLookup(() => ({ trace_id: "0af7651916cd43dd8448eb211c80319c", span_id: "b7ad6b7169203331" }));
  createLogger().info("traced.event", { n: 1 });
  setTraceLookup(() => undefined);
  createLogger().info("untraced.event");
  const [traced, untraced] = written.map((l) => JSON.parse(l));
  expect(traced).toMatchObject({
    event: "traced.event",
    n: 1,
    trace_id: "0af7651916cd43dd8448eb211c80319c",
    span_id: "b7ad6b7169203331",
  });
  expect(untraced.trace_id).toBeUndefined();
});

test("text format: time, level and event in words, fields as key=value", () => {
  setLogFormat("text");
  createLogger({ component: "supervisor" }).warn("handler.exited", {
    program: "agg-order",
    reason: "exit code 1",
  });
  expect(written[0]).toMatch(
    /^\d\d:\d\d:\d\d\.\d{3} WARN {2}handler\.exited component=supervisor program=agg-order reason="exit code 1"\n$/,
  );
});
