// Loads the runtime configuration: defaults ← YAML file ← environment ← command-line flags.
// Every problem names WHAT is wrong and WHERE (the key path and the file, or the variable).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import type { z } from "zod";
import { adminBindProblem, DEFAULT_ADMIN_PORT } from "../services/admin-bind";
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
  StorageSchema,
} from "./schema";

export const DEFAULT_PORT = 1310;
export const SQLITE_FILE = "angzarr.db";
export const SOCKETS_DIR = "sockets";

export interface HandlerSettings {
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
  /** Outbox entries per write when a large decision is taken up (default 256). */
  outboxChunk?: number;
  /** Tries of a failing delivery before it is parked, and the backoff between them (default: 10, 50 ms → 5 s). */
  retry?: { attempts: number; initialMs: number; maxMs: number };
}

export interface AdminSettings {
  port: number;
  host: string;
  /** Bearer token; absent = none (loopback only). */
  token?: string;
}

export interface RuntimeConfig {
  /** The config file, or "defaults". */
  source: string;
  /** Relative paths in the file resolve against this folder. */
  baseDir: string;
  port: number;
  host: string;
  /**
   * The one message limit (config `maxMessageBytes`, 64 MiB): gateway, admin listener, roles and
   * the coordinator's calls to handler programs, which are told the same (ANGZARR_MAX_MESSAGE_BYTES).
   */
  maxMessageBytes: number;
  /** Absolute data folder. */
  data: string;
  /** Absolute folder of handler sockets (`<data>/sockets`). */
  socketsDir: string;
  log?: LogLevel;
  /** Per-component log levels (config `logLevels`). */
  logLevels?: Record<string, LogLevel>;
  storage: StorageConfig;
  handlers: HandlerSettings;
  reactive: ReactiveSettings;
  /**
   * The admin listener (operator services, console, metrics). Absent (hand-built configs) =
   * 127.0.0.1, no token, port 1311 (0 when `port` is 0).
   */
  admin?: AdminSettings;
  /** Gateway connection limits (absent = 60 s idle timeout, 512 per client address). */
  connections?: { idleTimeoutMs: number; maxPerClient: number };
  components: ComponentConfig[];
}

export interface LoadOptions {
  /** YAML file; absent = defaults. */
  file?: string;
  /** Environment (default process.env). */
  env?: Record<string, string | undefined>;
  /** Command-line overrides (highest priority). */
  flags?: { port?: number; data?: string; adminPort?: number };
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

/** Keys of earlier versions and where they live now. */
const MOVED_KEYS: Record<string, string> = {
  "handlers.maxMessageBytes":
    "maxMessageBytes (top level: one limit for the gateway and the handler programs)",
};

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
      return issue.keys.map((key) => {
        const at = formatPath([...issue.path, key]);
        const moved = MOVED_KEYS[at];
        return moved ? `${at}: moved to ${moved}` : `${at}: unknown key${hint}`;
      });
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

/**
 * The line a YAML syntax error shows up on: the first line whose prefix of the document no longer
 * parses (Bun's YAML parser reports no position of its own).
 */
export function yamlErrorLine(text: string): { number: number; text: string } | undefined {
  const lines = text.split("\n");
  for (let n = 1; n <= lines.length; n++) {
    try {
      Bun.YAML.parse(lines.slice(0, n).join("\n"));
    } catch {
      return { number: n, text: lines[n - 1] ?? "" };
    }
  }
  return undefined;
}

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
    const reason = (err as Error).message.replace(/^YAML Parse error: /, "");
    const line = yamlErrorLine(text);
    const at =
      line === undefined ? "" : ` at line ${line.number}: ${JSON.stringify(line.text.trim().slice(0, 80))}`;
    throw new ConfigError(file, [`not valid YAML${at}: ${reason}`]);
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
  maxMessageBytes?: number;
  adminPort?: number;
  adminHost?: string;
  adminToken?: string;
  data?: string;
  backend?: StorageConfig["backend"];
  pgUrl?: string;
  pgSchema?: string;
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
  const adminPort = get("ANGZARR_ADMIN_PORT");
  if (adminPort !== undefined) {
    const n = Number(adminPort);
    if (/^\d+$/.test(adminPort) && n <= 65_535) out.adminPort = n;
    else problems.push(`ANGZARR_ADMIN_PORT: expected an integer 0..65535, got ${JSON.stringify(adminPort)}`);
  }
  const maxBytes = get("ANGZARR_MAX_MESSAGE_BYTES");
  if (maxBytes !== undefined) {
    const n = Number(maxBytes);
    if (/^\d+$/.test(maxBytes) && n >= 1024 && n < 2 ** 31) out.maxMessageBytes = n;
    else
      problems.push(
        `ANGZARR_MAX_MESSAGE_BYTES: expected an integer 1024..2147483647, got ${JSON.stringify(maxBytes)}`,
      );
  }
  const adminHost = get("ANGZARR_ADMIN_HOST");
  if (adminHost !== undefined) out.adminHost = adminHost;
  const adminToken = get("ANGZARR_ADMIN_TOKEN");
  if (adminToken !== undefined) out.adminToken = adminToken;
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
  const pgSchema = get("ANGZARR_PG_SCHEMA");
  if (pgSchema !== undefined) {
    const r = StorageSchema.shape.schema.safeParse(pgSchema);
    if (r.success && r.data !== undefined) out.pgSchema = r.data;
    else problems.push(`ANGZARR_PG_SCHEMA: expected an SQL identifier, got ${JSON.stringify(pgSchema)}`);
  }
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

/** Languages the example programs exist in besides TypeScript: `examples/<language>/angzarr.yaml`. */
export const EXAMPLES_ENV = "ANGZARR_EXAMPLES";

/**
 * ANGZARR_EXAMPLES=<language> (and no config file given): the example system with that
 * language's programs, as its folder's runtime config names them (`examples/<language>/angzarr.yaml`;
 * TypeScript programs stand in for components the language lacks). Unset or `typescript`: none.
 */
export function examplesConfig(root: string, env: Record<string, string | undefined>): string | undefined {
  const language = env[EXAMPLES_ENV]?.trim() ?? "";
  if (language === "" || language === "typescript") return undefined;
  const file = join(root, "examples", language, "angzarr.yaml");
  if (/^[a-z0-9-]+$/.test(language) && existsSync(file)) return file;
  const dir = join(root, "examples");
  const known = existsSync(dir)
    ? readdirSync(dir).filter((d) => existsSync(join(dir, d, "angzarr.yaml")))
    : [];
  throw new ConfigError("environment", [
    `${EXAMPLES_ENV}: no example programs in ${JSON.stringify(language)} (expected typescript${known.map((k) => `, ${k}`).join("")})`,
  ]);
}

/** Loads, validates and resolves the configuration. Throws ConfigError. */
export function loadConfig(options: LoadOptions = {}): RuntimeConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const root = options.root ?? projectRoot();
  const dist = options.distDir ?? (options.root ? join(options.root, "dist") : distDir());
  const preferCompiled = options.preferCompiled ?? isCompiled();

  const file = options.file === undefined ? examplesConfig(root, env) : abs(cwd, options.file);
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
  const adminPort =
    options.flags?.adminPort ??
    overrides.adminPort ??
    parsed.admin.port ??
    (port === 0 ? 0 : DEFAULT_ADMIN_PORT);
  const adminToken = overrides.adminToken ?? parsed.admin.token;
  const admin: AdminSettings = {
    port: adminPort,
    host: overrides.adminHost ?? parsed.admin.host,
    ...(adminToken !== undefined ? { token: adminToken } : {}),
  };
  const adminProblem = adminBindProblem(admin.host, admin.token);
  if (adminProblem) throw new ConfigError(where, [`admin.host: ${adminProblem}`]);

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
    const schema = overrides.pgSchema ?? parsed.storage.schema;
    storage = { backend, url, ...(schema ? { schema } : {}) };
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
    maxMessageBytes: overrides.maxMessageBytes ?? parsed.maxMessageBytes,
    data,
    socketsDir: join(data, SOCKETS_DIR),
    ...(log !== undefined ? { log } : {}),
    ...(parsed.logLevels !== undefined ? { logLevels: parsed.logLevels } : {}),
    storage,
    handlers: parsed.handlers,
    reactive: parsed.reactive,
    admin,
    connections: parsed.connections,
    components,
  };
}
