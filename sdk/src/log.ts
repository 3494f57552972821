// Structured logs of a handler program: one JSON object per line on stderr with a stable `event`
// name, which the runtime's supervisor forwards into its own log tagged with the program. Inside a
// traced operation (a call whose caller sent a `traceparent`, tracing on) each line carries the
// active `trace_id` and `span_id`, so a program's lines join the trace of the command they served.
// Level from ANGZARR_LOG (its first part: debug | info | warn | error | silent; default info).
import { activeTraceIds } from "./tracing";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

const ORDER: Record<LogLevel | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

function threshold(): number {
  const first = (process.env.ANGZARR_LOG ?? "info").split(",")[0]?.trim() ?? "info";
  return Object.hasOwn(ORDER, first) ? ORDER[first as LogLevel] : ORDER.info;
}

let minimum = threshold();
let sink: (line: string) => void = (line) => process.stderr.write(line);

/** Re-reads ANGZARR_LOG; `write` replaces where lines go (tests). */
export function configureLog(options: { write?: (line: string) => void } = {}): void {
  minimum = threshold();
  if (options.write) sink = options.write;
}

function emit(level: LogLevel, event: string, fields: LogFields): void {
  if (ORDER[level] < minimum) return;
  const trace = activeTraceIds();
  sink(`${JSON.stringify({ ts: new Date().toISOString(), level, event, ...fields, ...trace })}\n`);
}

/** A handler program's logger: `log.info("order.priced", { total })`. */
export const log = {
  debug: (event: string, fields: LogFields = {}) => emit("debug", event, fields),
  info: (event: string, fields: LogFields = {}) => emit("info", event, fields),
  warn: (event: string, fields: LogFields = {}) => emit("warn", event, fields),
  error: (event: string, fields: LogFields = {}) => emit("error", event, fields),
};
