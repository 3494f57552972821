// Forwards a child program's stdout/stderr into the runtime's structured log, one record per
// line, tagged with the program name. JSON lines keep their event name and fields.
import type { Fields, Logger } from "../observability/log";

const LEVELS = new Set(["debug", "info", "warn", "error"]);
type Level = "debug" | "info" | "warn" | "error";

function emit(line: string, fields: Fields, log: Logger): void {
  const text = line.trimEnd();
  if (text === "") return;
  if (text.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
        const { ts: _ts, level, event, ...rest } = parsed as Record<string, unknown>;
        if (typeof event === "string") {
          const lvl: Level = typeof level === "string" && LEVELS.has(level) ? (level as Level) : "info";
          log[lvl](event, { ...rest, ...fields });
          return;
        }
      }
    } catch {
      // not JSON: fall through
    }
  }
  log.info("handler.output", { ...fields, line: text });
}

/** Reads a stream to its end, logging each line. Never throws. */
export async function forwardLines(
  stream: ReadableStream<Uint8Array>,
  fields: Fields,
  log: Logger,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    for await (const chunk of stream) {
      buffered += decoder.decode(chunk, { stream: true });
      for (let i = buffered.indexOf("\n"); i >= 0; i = buffered.indexOf("\n")) {
        emit(buffered.slice(0, i), fields, log);
        buffered = buffered.slice(i + 1);
      }
    }
  } catch {
    // the child went away mid-read
  }
  emit(buffered + decoder.decode(), fields, log);
}
