// The one YAML configuration of the runtime, as a zod schema. Unknown keys are errors
// (strict objects) so a typo never silently falls back to a default.
import { z } from "zod";

export const MIB = 1024 * 1024;

const duration = () => z.int().min(0);
const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, "expected lowercase letters, digits, '-', '_' or '.'");

export const LogLevelSchema = z.enum(["debug", "info", "warn", "error", "silent"]);
export const BackendSchema = z.enum(["memory", "sqlite", "postgres"]);
export const KindSchema = z.enum(["aggregate", "saga", "projector", "process_manager"]);
export const TransportSchema = z.enum(["connect", "grpc"]);

export const StorageSchema = z.strictObject({
  /** memory (tests), sqlite (standalone default) or postgres. */
  backend: BackendSchema.default("sqlite"),
  /** SQLite file; default `<data>/angzarr.db`; `:memory:` for an in-memory database. */
  path: z.string().min(1).optional(),
  /** PostgreSQL connection URL. */
  url: z.string().min(1).optional(),
  /** PostgreSQL schema (default `angzarr`). */
  schema: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an SQL identifier")
    .optional(),
  /**
   * SQLite: `normal` (default) survives a crash of the process, `full` also an OS crash or power
   * loss, at the cost of a disk flush per commit (README, "Delivery guarantees").
   */
  durability: z.enum(["normal", "full"]).default("normal"),
});

export const RestartSchema = z.strictObject({
  /** First restart delay after a handler exits. */
  initialMs: duration().default(100),
  /** Ceiling of the exponential backoff. */
  maxMs: duration().default(10_000),
});

export const HandlersSchema = z.strictObject({
  /** Per-call timeout towards handler programs (0 = none). */
  timeoutMs: duration().default(30_000),
  /** How long a (re)started program may take to report SERVING. */
  healthTimeoutMs: duration().default(10_000),
  /** How long a program may take to exit after SIGTERM before it gets SIGKILL. */
  stopGraceMs: duration().default(5_000),
  restart: RestartSchema.prefault({}),
});

export const ComponentSchema = z
  .strictObject({
    /** Aggregates: the domain; others: the program name. */
    name,
    kind: KindSchema,
    /** Domain of an aggregate (default: name). */
    domain: name.optional(),
    /** Command line of the program, e.g. ["bun", "domains/order/agg/main.ts"]. */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** A compiled program. */
    executable: z.string().min(1).optional(),
    /** An external handler already listening on this socket: not spawned. */
    socket: z.string().min(1).optional(),
    /** An external gRPC handler on TCP (`http://host:port`): not spawned; needs transport grpc. */
    url: z.url({ protocol: /^https?$/ }).optional(),
    transport: TransportSchema.default("connect"),
    /** Extra environment for the program. */
    env: z.record(z.string(), z.string()).optional(),
    /** Projectors: also run inside commands (SYNC_MODE_SIMPLE / CASCADE). */
    synchronous: z.boolean().optional(),
    /** Process managers: the PM's own domain (default: the name without `pmg-`). */
    stateDomain: name.optional(),
    /**
     * Aggregates: the program also serves the domain's `angzarr.Upcaster`. Default: found through
     * its health service; false turns a served one off.
     */
    upcaster: z.boolean().optional(),
  })
  .superRefine((c, ctx) => {
    if (c.url !== undefined && c.transport !== "grpc") {
      ctx.addIssue({ code: "custom", path: ["url"], message: "a url needs transport: grpc" });
    }
    const given = (["command", "executable", "socket", "url"] as const).filter((k) => c[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message:
          given.length === 0
            ? "needs one of command, executable, socket or url"
            : `give only one of command, executable, socket or url (got ${given.join(", ")})`,
      });
    }
  });

export const ReactiveSchema = z.strictObject({
  /** How often async consumers look for new events when the bus is quiet. */
  pollMs: duration().default(250),
  /** A consumer that keeps failing on an event parks it in the DLQ and moves on, or stops. */
  onFailure: z.enum(["dead-letter", "stop"]).default("dead-letter"),
  /**
   * A saga or PM deciding this many commands or more stores its decision whole, and the outbox
   * takes it up this many entries per write, handing the event loop over in between.
   */
  outboxChunk: z.int().min(1).default(256),
  /**
   * A failing delivery (a consumer's book, a saga or PM command, a deadline) is tried this many
   * times with exponential backoff, then parked in the DLQ. The defaults ride out a handler
   * program's restart (about 15 s of tries).
   */
  retry: z
    .strictObject({
      attempts: z.int().min(1).default(10),
      initialMs: duration().default(50),
      maxMs: duration().default(5_000),
    })
    .prefault({}),
});

export const AdminSchema = z.strictObject({
  /**
   * Admin listener TCP port (operator services, console, metrics). Default 1311, or any free
   * port (0) when the gateway's port is 0.
   */
  port: z.int().min(0).max(65_535).optional(),
  /** Admin bind address; anything beyond loopback needs a token. */
  host: z.string().min(1).default("127.0.0.1"),
  /** Bearer token every admin call must carry (also ANGZARR_ADMIN_TOKEN). */
  token: z.string().min(1).optional(),
});

export const ConfigFileSchema = z
  .strictObject({
    /** Gateway TCP port (0 = any free port). */
    port: z.int().min(0).max(65_535).default(1310),
    /** Gateway bind address. */
    host: z.string().min(1).default("127.0.0.1"),
    /**
     * The one message limit, bytes: the largest request the gateway (and the admin listener, and
     * a distributed role) takes, and the largest request the coordinator sends a handler program
     * (history and command), which the program is told to accept (ANGZARR_MAX_MESSAGE_BYTES).
     */
    maxMessageBytes: z
      .int()
      .min(1024)
      .max(2 ** 31 - 1)
      .default(64 * MIB),
    /** Data folder: SQLite file, handler sockets. Relative to the config file's folder. */
    data: z.string().min(1).default(".data"),
    /** Log level (ANGZARR_LOG). */
    log: LogLevelSchema.optional(),
    /** Per-component log levels over `log`, by a logger's component (e.g. gateway: debug). */
    logLevels: z.record(z.string().min(1), LogLevelSchema).optional(),
    storage: StorageSchema.prefault({}),
    handlers: HandlersSchema.prefault({}),
    reactive: ReactiveSchema.prefault({}),
    admin: AdminSchema.prefault({}),
    /** Gateway connections: idle ones closed after idleTimeoutMs, at most maxPerClient per address. */
    connections: z
      .strictObject({
        idleTimeoutMs: z.int().min(100).default(60_000),
        maxPerClient: z.int().min(1).default(512),
      })
      .prefault({}),
    /** Components to run; absent = every example program found. */
    components: z.array(ComponentSchema).optional(),
  })
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    (c.components ?? []).forEach((component, i) => {
      const key = `${component.kind}:${component.name}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["components", i, "name"],
          message: `duplicate ${component.kind} "${component.name}" (also components[${first}])`,
        });
      } else seen.set(key, i);
    });
  });

export type ConfigFile = z.output<typeof ConfigFileSchema>;
export type ComponentFile = z.output<typeof ComponentSchema>;
export type LogLevel = z.output<typeof LogLevelSchema>;
