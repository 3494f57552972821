// Structured logs on stderr, with a stable `event` name: one JSON object per line, or (on a
// terminal, or ANGZARR_LOG_FORMAT=text / `--log text`) one line of words per event.
// Level from ANGZARR_LOG: a level (debug | info | warn | error | silent; default info), optionally
// followed by per-component levels, e.g. `info,gateway=debug,supervisor=warn` (a logger's
// component is its `component` field). Inside a traced operation each line carries `trace_id`
// and `span_id` (the tracing module installs the lookup; without tracing nothing is added).

type Level = "debug" | "info" | "warn" | "error";
type Threshold = Level | "silent";
const ORDER: Record<Threshold, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

const isThreshold = (value: string): value is Threshold => Object.hasOwn(ORDER, value);

let minimum = ORDER.info;
const byComponent = new Map<string, number>();

/** Parses `level[,component=level...]`; unknown parts are ignored (the default stays info). */
function applyLevels(spec: string): void {
  minimum = ORDER.info;
  byComponent.clear();
  for (const part of spec.split(",").map((p) => p.trim())) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq < 0) {
      if (isThreshold(part)) minimum = ORDER[part];
      continue;
    }
    const component = part.slice(0, eq);
    const level = part.slice(eq + 1);
    if (component !== "" && isThreshold(level)) byComponent.set(component, ORDER[level]);
  }
}

applyLevels(process.env.ANGZARR_LOG ?? "info");

/** Re-reads ANGZARR_LOG (tests and the configuration change it). */
export function refreshLogLevel(): void {
  applyLevels(process.env.ANGZARR_LOG ?? "info");
}

/** Per-component levels from the configuration, on top of ANGZARR_LOG's. */
export function setComponentLevels(levels: Record<string, Threshold>): void {
  for (const [component, level] of Object.entries(levels)) byComponent.set(component, ORDER[level]);
}

export type LogFormat = "json" | "text";

function defaultFormat(): LogFormat {
  const given = process.env.ANGZARR_LOG_FORMAT;
  if (given === "json" || given === "text") return given;
  return process.stderr.isTTY ? "text" : "json";
}

let format: LogFormat = defaultFormat();

export function setLogFormat(value: LogFormat): void {
  format = value;
}

export function logFormat(): LogFormat {
  return format;
}

/** The active trace and span ids, when tracing is on and an operation is traced. */
export type TraceLookup = () => { trace_id: string; span_id: string } | undefined;
let traceLookup: TraceLookup | undefined;

export function setTraceLookup(lookup: TraceLookup | undefined): void {
  traceLookup = lookup;
}

export type Fields = Record<string, unknown>;

const replacer = (_k: string, v: unknown) =>
  typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v;

function textLine(level: Level, event: string, fields: Fields): string {
  const time = new Date().toISOString().slice(11, 23);
  const rest = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "string" && !/\s/.test(v) ? v : JSON.stringify(v, replacer)}`)
    .join(" ");
  return `${time} ${level.toUpperCase().padEnd(5)} ${event}${rest ? ` ${rest}` : ""}`;
}

function write(level: Level, event: string, fields: Fields): void {
  const component = fields.component;
  const floor = (typeof component === "string" ? byComponent.get(component) : undefined) ?? minimum;
  if (ORDER[level] < floor) return;
  const traced = traceLookup?.();
  const all = traced ? { ...fields, ...traced } : fields;
  const line =
    format === "text"
      ? textLine(level, event, all)
      : JSON.stringify({ ts: new Date().toISOString(), level, event, ...all }, replacer);
  process.stderr.write(`${line}\n`);
}

export interface Logger {
  debug(event: string, fields?: Fields): void;
  info(event: string, fields?: Fields): void;
  warn(event: string, fields?: Fields): void;
  error(event: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

export function createLogger(base: Fields = {}): Logger {
  return {
    debug: (event, fields = {}) => write("debug", event, { ...base, ...fields }),
    info: (event, fields = {}) => write("info", event, { ...base, ...fields }),
    warn: (event, fields = {}) => write("warn", event, { ...base, ...fields }),
    error: (event, fields = {}) => write("error", event, { ...base, ...fields }),
    child: (fields) => createLogger({ ...base, ...fields }),
  };
}

export const log: Logger = createLogger();
