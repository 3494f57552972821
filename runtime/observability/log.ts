// Structured logs: one JSON object per line on stderr, with a stable `event` name.
// Level from ANGZARR_LOG (debug | info | warn | error | silent; default info).

type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

function threshold(): number {
  const configured = (process.env.ANGZARR_LOG ?? "info") as Level | "silent";
  return ORDER[configured] ?? ORDER.info;
}

let minimum = threshold();

/** Re-reads ANGZARR_LOG (tests change it). */
export function refreshLogLevel(): void {
  minimum = threshold();
}

export type Fields = Record<string, unknown>;

function write(level: Level, event: string, fields: Fields): void {
  if (ORDER[level] < minimum) return;
  const line = JSON.stringify({ ts: new Date().toISOString(), level, event, ...fields }, (_k, v) =>
    typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v,
  );
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
