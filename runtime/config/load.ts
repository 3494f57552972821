// Loads the runtime configuration: defaults ← YAML file ← environment ← command-line flags.
// Every problem names WHAT is wrong and WHERE (the key path and the file, or the variable).
import { readFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import type { z } from "zod";
import type { StorageConfig } from "../storage/open";
import { bunBinary, distDir, isCompiled, projectRoot } from "./paths";
import { type ComponentKind, type DiscoveredProgram, discoverPrograms } from "./programs";
import {
  BackendSchema,
  type ComponentFile,
  type ConfigFile,
  ConfigFileSchema,
  type LogLevel,
  LogLevelSchema,
} from "./schema";

export const DEFAULT_PORT = 1310;
export const SQLITE_FILE = "angzarr.db";
export const SOCKETS_DIR = "sockets";

export interface HandlerSettings {
  maxMessageBytes: number;
  timeoutMs: number;
  healthTimeoutMs: number;
  stopGraceMs: number;
  restart: { initialMs: number; maxMs: number };
}

/** How a component's program is reached. */
export type Launch =
  /** Spawned and supervised by the runtime. */
  | { type: "spawn"; argv: string[]; cwd: string }
  /** Already listening elsewhere (a Unix socket, or `url` for gRPC over TCP); only connected to. */
  | { type: "external"; socket?: string; url?: string };

export interface ComponentConfig {
  name: string;
  kind: ComponentKind;
  /** Aggregates: the domain they own. */
  domain?: string;
  /** Program name: label in logs, socket file name (`agg-order`). */
  program: string;
  launch: Launch;
  transport: "connect" | "grpc";
  env: Record<string, string>;
  /** Projectors: run inside commands for SYNC_MODE_SIMPLE / CASCADE too. */
  synchronous?: boolean;
  /** Process managers: their own domain. */
  stateDomain?: string;
  /** Aggregates: serves the domain's upcaster (true), never (false), or ask its health (absent). */
  upcaster?: boolean;
}

export interface ReactiveSettings {
  pollMs: number;
  onFailure: "dead-letter" | "stop";
  /** Tries of a failing delivery before it is parked, and the backoff between them (default: 10, 50 ms → 5 s). */
  retry?: { attempts: number; initialMs: number; maxMs: number };
}

export interface RuntimeConfig {
  /** The config file, or "defaults". */
  source: string;
  /** Relative paths in the file resolve against this folder. */
  baseDir: string;
  port: number;
  host: string;
  /** Absolute data folder. */
  data: string;
  /** Absolute folder of handler sockets (`<data>/sockets`). */
  socketsDir: string;
  log?: LogLevel;
  storage: StorageConfig;
  handlers: HandlerSettings;
  reactive: ReactiveSettings;
  components: ComponentConfig[];
}

export interface LoadOptions {
  /** YAML file; absent = defaults. */
  file?: string;
  /** Environment (default process.env). */
  env?: Record<string, string | undefined>;
  /** Command-line overrides (highest priority). */
  flags?: { port?: number; data?: string };
  /** Run compiled programs from the dist folder when present (default: when this CLI is compiled). */
  preferCompiled?: boolean;
  /** Project root for program discovery (default: this checkout / the folder above dist). */
  root?: string;
  /** Folder of compiled programs (default: `<root>/dist`, or beside the compiled CLI). */
  distDir?: string;
  /** Folder relative flag/env paths resolve against (default process.cwd()). */
  cwd?: string;
}

/** A configuration problem: `where` is the file or "environment"; each problem starts with its key path. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly where: string,
    readonly problems: string[],
  ) {
    const title = where === "environment" ? "invalid environment" : `invalid configuration in ${where}`;
    super(`${title}:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Issue formatting

type PathSegment = PropertyKey;

export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out === "" ? "(top level)" : out;
}

interface Walkable {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
}

function defOf(schema: z.ZodType): Walkable {
  return schema._zod.def as unknown as Walkable;
}

/** The object schema at a path (through optional/default/array wrappers), to list its keys. */
function objectKeysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let current: z.ZodType | undefined = schema;
  const unwrap = (s: z.ZodType): z.ZodType => {
    let s2 = s;
    for (let def = defOf(s2); ; def = defOf(s2)) {
      const inner = def.innerType ?? def.in;
      if (!inner) return s2;
      s2 = inner;
    }
  };
  for (const seg of path) {
    if (!current) return [];
    const def = defOf(unwrap(current));
    if (def.type === "object" && typeof seg === "string") current = def.shape?.[seg];
    else if (def.type === "array" && typeof seg === "number") current = def.element;
    else return [];
  }
  if (!current) return [];
  const def = defOf(unwrap(current));
  return def.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

function formatIssue(issue: z.core.$ZodIssue): string[] {
  const where = formatPath(issue.path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = objectKeysAt(ConfigFileSchema, issue.path);
      const hint = allowed.length > 0 ? ` (allowed: ${allowed.join(", ")})` : "";
      return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key${hint}`);
    }
    case "invalid_type": {
      const got = "input" in issue && issue.input !== undefined ? describe(issue.input) : "nothing";
      if (got === "nothing") return [`${where}: required (${issue.expected})`];
      return [`${where}: expected ${issue.expected}, got ${got}`];
    }
    case "invalid_value":
      return [
        `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${describe(issue.input)}`,
      ];
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const op =
        issue.code === "too_small"
          ? issue.inclusive === false
            ? ">"
            : ">="
          : issue.inclusive === false
            ? "<"
            : "<=";
      const got = "input" in issue && issue.input !== undefined ? `, got ${describe(issue.input)}` : "";
      if (issue.origin === "number" || issue.origin === "int" || issue.origin === "bigint")
        return [`${where}: must be ${op} ${String(bound)}${got}`];
      const unit = issue.origin === "array" ? "items" : issue.origin === "string" ? "characters" : "entries";
      return [`${where}: needs ${op} ${String(bound)} ${unit}${got}`];
    }
    default:
      return [`${where}: ${issue.message}`];
  }
}

// ---------------------------------------------------------------------------------------------
// Loading

function readFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file: ${(err as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = Bun.YAML.parse(text);
  } catch (err) {
    throw new ConfigError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (Array.isArray(parsed))
    throw new ConfigError(file, ["(top level): expected a mapping of keys, got a list"]);
  if (typeof parsed !== "object")
    throw new ConfigError(file, [`(top level): expected a mapping of keys, got ${describe(parsed)}`]);
  return parsed;
}

/** Validates the YAML document (or `{}` for defaults). */
export function parseConfigFile(raw: unknown, where: string): ConfigFile {
  const result = ConfigFileSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(where, result.error.issues.flatMap(formatIssue));
}

interface EnvOverrides {
  port?: number;
  data?: string;
  backend?: StorageConfig["backend"];
  pgUrl?: string;
  log?: LogLevel;
}

function readEnv(env: Record<string, string | undefined>): EnvOverrides {
  const problems: string[] = [];
  const out: EnvOverrides = {};
  const get = (name: string) => {
    const v = env[name];
    return v === undefined || v === "" ? undefined : v;
  };
  const port = get("ANGZARR_PORT");
  if (port !== undefined) {
    const n = Number(port);
    if (/^\d+$/.test(port) && n <= 65_535) out.port = n;
    else problems.push(`ANGZARR_PORT: expected an integer 0..65535, got ${JSON.stringify(port)}`);
  }
  const data = get("ANGZARR_DATA");
  if (data !== undefined) out.data = data;
  const backend = get("ANGZARR_STORAGE");
  if (backend !== undefined) {
    const r = BackendSchema.safeParse(backend);
    if (r.success) out.backend = r.data;
    else
      problems.push(`ANGZARR_STORAGE: expected memory, sqlite or postgres, got ${JSON.stringify(backend)}`);
  }
  const pgUrl = get("ANGZARR_PG_URL");
  if (pgUrl !== undefined) out.pgUrl = pgUrl;
  const level = get("ANGZARR_LOG");
  if (level !== undefined) {
    const r = LogLevelSchema.safeParse(level);
    if (r.success) out.log = r.data;
    else
      problems.push(`ANGZARR_LOG: expected debug, info, warn, error or silent, got ${JSON.stringify(level)}`);
  }
  if (problems.length > 0) throw new ConfigError("environment", problems);
  return out;
}

function abs(base: string, path: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

function programName(kind: ComponentKind, name: string, domain: string | undefined): string {
  return kind === "aggregate" ? `agg-${domain ?? name}` : name;
}

function fromFile(c: ComponentFile, baseDir: string): ComponentConfig {
  const domain = c.kind === "aggregate" ? (c.domain ?? c.name) : c.domain;
  let launch: Launch;
  if (c.socket !== undefined) launch = { type: "external", socket: abs(baseDir, c.socket) };
  else if (c.url !== undefined) launch = { type: "external", url: c.url };
  else if (c.executable !== undefined)
    launch = { type: "spawn", argv: [abs(baseDir, c.executable)], cwd: baseDir };
  else {
    const [first, ...rest] = c.command as [string, ...string[]];
    launch = { type: "spawn", argv: [first === "bun" ? bunBinary() : first, ...rest], cwd: baseDir };
  }
  return {
    name: c.name,
    kind: c.kind,
    ...(domain !== undefined ? { domain } : {}),
    program: c.executable !== undefined ? basename(c.executable) : programName(c.kind, c.name, domain),
    launch,
    transport: c.transport,
    env: c.env ?? {},
    ...(c.synchronous !== undefined ? { synchronous: c.synchronous } : {}),
    ...(c.kind === "process_manager" ? { stateDomain: c.stateDomain ?? c.name.replace(/^pmg-/, "") } : {}),
    ...(c.upcaster !== undefined ? { upcaster: c.upcaster } : {}),
  };
}

function fromDiscovery(p: DiscoveredProgram, root: string, preferCompiled: boolean): ComponentConfig {
  const useExecutable = p.executable !== undefined && (preferCompiled || p.entry === undefined);
  const argv = useExecutable ? [p.executable as string] : [bunBinary(), p.entry as string];
  return {
    name: p.name,
    kind: p.kind,
    ...(p.domain !== undefined ? { domain: p.domain } : {}),
    program: p.program,
    launch: { type: "spawn", argv, cwd: root },
    transport: "connect",
    env: {},
    // Example projectors also run inside commands that ask for SIMPLE or CASCADE.
    ...(p.kind === "projector" ? { synchronous: true } : {}),
    ...(p.kind === "process_manager" ? { stateDomain: p.domain ?? p.name.replace(/^pmg-/, "") } : {}),
  };
}

/** The components of the default configuration: every example program found. */
export function defaultComponents(root: string, dist: string, preferCompiled: boolean): ComponentConfig[] {
  return discoverPrograms(root, dist).map((p) => fromDiscovery(p, root, preferCompiled));
}

/** Loads, validates and resolves the configuration. Throws ConfigError. */
export function loadConfig(options: LoadOptions = {}): RuntimeConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const root = options.root ?? projectRoot();
  const dist = options.distDir ?? (options.root ? join(options.root, "dist") : distDir());
  const preferCompiled = options.preferCompiled ?? isCompiled();

  const file = options.file === undefined ? undefined : abs(cwd, options.file);
  const where = file ?? "defaults";
  const parsed = parseConfigFile(file === undefined ? {} : readFile(file), where);
  const baseDir = file === undefined ? cwd : dirname(file);
  const overrides = readEnv(env);

  const port = options.flags?.port ?? overrides.port ?? parsed.port;
  const data =
    options.flags?.data !== undefined
      ? abs(cwd, options.flags.data)
      : overrides.data !== undefined
        ? abs(cwd, overrides.data)
        : abs(baseDir, parsed.data);
  const log = overrides.log ?? parsed.log;

  const backend = overrides.backend ?? parsed.storage.backend;
  let storage: StorageConfig;
  if (backend === "memory") storage = { backend };
  else if (backend === "sqlite") {
    const path = parsed.storage.path;
    storage = {
      backend,
      path: path === undefined ? join(data, SQLITE_FILE) : path === ":memory:" ? path : abs(baseDir, path),
      durability: parsed.storage.durability,
    };
  } else {
    const url = overrides.pgUrl ?? parsed.storage.url;
    if (url === undefined) {
      throw new ConfigError(where, [
        "storage.url: required when storage.backend is postgres (set it in the file or ANGZARR_PG_URL)",
      ]);
    }
    storage = { backend, url, ...(parsed.storage.schema ? { schema: parsed.storage.schema } : {}) };
  }

  const components =
    parsed.components === undefined
      ? defaultComponents(root, dist, preferCompiled)
      : parsed.components.map((c) => fromFile(c, baseDir));

  const problems: string[] = [];
  const programs = new Map<string, number>();
  const domains = new Map<string, number>();
  components.forEach((c, i) => {
    const at = parsed.components === undefined ? `(discovered ${c.program})` : `components[${i}]`;
    if (c.kind === "aggregate" && c.domain !== undefined) {
      const d = domains.get(c.domain);
      if (d !== undefined) {
        problems.push(`${at}.domain: a second aggregate for domain ${c.domain} (also components[${d}])`);
        return;
      }
      domains.set(c.domain, i);
    }
    const p = programs.get(c.program);
    if (p !== undefined)
      problems.push(`${at}: program name ${c.program} is used twice (also components[${p}])`);
    else programs.set(c.program, i);
  });
  if (problems.length > 0) throw new ConfigError(where, problems);

  return {
    source: where,
    baseDir,
    port,
    host: parsed.host,
    data,
    socketsDir: join(data, SOCKETS_DIR),
    ...(log !== undefined ? { log } : {}),
    storage,
    handlers: parsed.handlers,
    reactive: parsed.reactive,
    components,
  };
}
