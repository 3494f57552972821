// `angzarr config check FILE`: validates a configuration file the way `angzarr standalone` would
// load it (schema, environment overrides, program resolution) without starting anything.
import { existsSync } from "node:fs";
import { ConfigError, loadConfig } from "../config/load";
import { parseCommand, print, printJson, UsageError } from "./common";

export const CONFIG_USAGE = `usage: angzarr config check FILE [--json]

  Loads FILE as \`angzarr standalone --config FILE\` would (environment overrides included) and
  says what it would run, or every problem it found. Exit 0 when valid, 1 when not.
`;

export async function config(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, { json: { type: "boolean" } });
  if (values.help) {
    process.stdout.write(CONFIG_USAGE);
    return 0;
  }
  const [action, file, extra] = positionals;
  if (action !== "check")
    throw new UsageError(action === undefined ? "expected check FILE" : `unknown action ${action}`);
  if (file === undefined) throw new UsageError("config check needs a FILE");
  if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
  if (!existsSync(file)) {
    process.stderr.write(`angzarr config check: ${file}: no such file\n`);
    return 1;
  }
  try {
    const loaded = loadConfig({ file });
    const summary = {
      valid: true,
      file: loaded.source,
      gateway: `${loaded.host}:${loaded.port}`,
      data: loaded.data,
      storage: loaded.storage.backend,
      components: loaded.components.map((c) => ({ name: c.name, kind: c.kind, program: c.program })),
    };
    if (values.json) printJson(summary);
    else {
      print(`${file}: valid`);
      print(`  gateway ${summary.gateway}, data ${summary.data}, storage ${summary.storage}`);
      for (const c of summary.components) print(`  ${c.kind} ${c.name} (${c.program})`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (values.json) printJson({ valid: false, file, error: err.message });
    else process.stderr.write(`${err.message}\n`);
    return 1;
  }
}
