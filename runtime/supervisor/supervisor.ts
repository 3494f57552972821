// Supervises the configured handler programs and is the coordinator's HandlerDirectory:
// aggregate(domain) → that domain's program over its Unix socket, gated on health.
import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  type ComponentDescriptor,
  GetDescriptorRequestSchema,
  ProcessManager,
  Projector,
  Saga,
} from "@angzarr/proto";
import { type RpcClient, unary } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import type { BusFilter } from "../bus/types";
import type { ComponentConfig, HandlerSettings } from "../config/load";
import type { ComponentKind } from "../config/programs";
import type { AggregateHandler, HandlerDirectory } from "../coordinator/ports";
import type {
  ProcessManagerHandler,
  ProjectorHandler,
  ReactiveDirectory,
  SagaHandler,
} from "../coordinator/reactive-ports";
import { UpcasterRegistry } from "../coordinator/upcasting";
import { type Logger, log as rootLog } from "../observability/log";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../transport/message-limit";
import { processManagerClient, projectorClient, sagaClient } from "../transport/reactive-clients";
import { servesUpcaster, upcasterClient } from "../transport/upcaster-client";
import { SupervisedProgram } from "./program";

/** GetDescriptor of a reactive program, on the service that matches its kind. */
async function describe(kind: ComponentKind, client: RpcClient): Promise<ComponentDescriptor> {
  const request = create(GetDescriptorRequestSchema);
  if (kind === "saga") return unary(client, Saga.method.getDescriptor, request);
  if (kind === "projector") return unary(client, Projector.method.getDescriptor, request);
  return unary(client, ProcessManager.method.getDescriptor, request);
}

export interface SupervisorOptions {
  components: ComponentConfig[];
  /** Folder for the programs' sockets (created with mode 0700). */
  socketsDir: string;
  handlers: HandlerSettings;
  /** The message limit towards the programs (default 64 MiB; config `maxMessageBytes`). */
  maxMessageBytes?: number;
  /** Forward children's stdout/stderr into the log (default) or drop it. */
  output?: "forward" | "ignore";
  /** Extra environment for every child. */
  env?: Record<string, string>;
  /** Folder for projector read models: each projector gets PROJECTOR_DB=<dir>/<program>.db. */
  readModelsDir?: string;
  /**
   * The SQLite store's durability, for the read models that follow it: each projector gets
   * PROJECTOR_DB_DURABILITY (absent: the program's default, `full`).
   */
  readModelsDurability?: "normal" | "full";
  log?: Logger;
}

/** Some programs did not report SERVING in time at start-up. */
export class SupervisorStartError extends Error {
  override readonly name = "SupervisorStartError";
  constructor(readonly programs: string[]) {
    super(`handler programs not healthy in time: ${programs.join(", ")}`);
  }
}

/** Longest socket path the OS accepts (sun_path minus the terminating NUL). */
const MAX_SOCKET_PATH = process.platform === "darwin" ? 103 : 107;

export class Supervisor implements HandlerDirectory {
  private readonly programsByName = new Map<string, SupervisedProgram>();
  private readonly byDomain = new Map<string, SupervisedProgram>();
  private readonly log: Logger;
  private stopped = false;

  constructor(private readonly options: SupervisorOptions) {
    this.log = options.log ?? rootLog.child({ component: "supervisor" });
    for (const component of options.components) {
      const socket =
        component.launch.type === "external"
          ? (component.launch.socket ?? "")
          : join(options.socketsDir, `${component.program}.sock`);
      if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
        throw new Error(
          `socket path for ${component.program} is too long (${Buffer.byteLength(socket)} > ${MAX_SOCKET_PATH} bytes): ${socket}; choose a shorter data folder`,
        );
      }
      const program = new SupervisedProgram({
        component,
        socket,
        settings: options.handlers,
        maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
        log: this.log,
        output: options.output ?? "forward",
        env: { ...(options.env ?? {}), ...readModelEnv(component, options) },
      });
      this.programsByName.set(component.program, program);
      if (component.kind === "aggregate") this.byDomain.set(component.domain ?? component.name, program);
    }
  }

  /** Spawns every program and waits until each is healthy (throws SupervisorStartError if not). */
  async start(): Promise<void> {
    mkdirSync(this.options.socketsDir, { recursive: true, mode: 0o700 });
    if (this.options.readModelsDir) {
      mkdirSync(this.options.readModelsDir, { recursive: true, mode: 0o700 });
      chmodSync(this.options.readModelsDir, 0o700);
    }
    chmodSync(this.options.socketsDir, 0o700);
    const programs = [...this.programsByName.values()];
    for (const p of programs) p.start();
    const timeout = this.options.handlers.healthTimeoutMs;
    const results = await Promise.all(programs.map(async (p) => [p, await p.waitReady(timeout)] as const));
    for (const p of programs) {
      if (p.state === "external" && !(await p.checkHealth())) {
        const launch = p.component.launch;
        const where = launch.type === "external" && launch.url ? { url: launch.url } : { socket: p.socket };
        this.log.warn("supervisor.external_unhealthy", { program: p.component.program, ...where });
      }
    }
    const failed = results.filter(([, ok]) => !ok).map(([p]) => p.component.program);
    if (failed.length > 0) throw new SupervisorStartError(failed);
    this.log.info("supervisor.ready", { programs: programs.map((p) => p.component.program) });
  }

  /** Stops every program (SIGTERM, then SIGKILL after the grace period) and removes its socket. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all([...this.programsByName.values()].map((p) => p.stop()));
  }

  /** A supervised program by program name (`agg-order`). */
  program(name: string): SupervisedProgram | undefined {
    return this.programsByName.get(name);
  }

  programs(): SupervisedProgram[] {
    return [...this.programsByName.values()];
  }

  /** The programs that cannot be reached now, each with why (`agg-order: down`). */
  async unreachable(): Promise<string[]> {
    const found = await Promise.all(
      this.programs().map(async (p) => {
        if (await p.reachable()) return undefined;
        const why = p.state === "ready" || p.state === "external" ? "not answering" : p.state;
        return `${p.component.program}: ${why}`;
      }),
    );
    return found.filter((f): f is string => f !== undefined);
  }

  /**
   * The sagas, projectors and process managers, with the inputs each declares in its descriptor
   * (asked once the programs are healthy).
   */
  async reactiveDirectory(): Promise<ReactiveDirectory> {
    const sagas: SagaHandler[] = [];
    const projectors: ProjectorHandler[] = [];
    const processManagers: ProcessManagerHandler[] = [];
    for (const program of this.programsByName.values()) {
      const c = program.component;
      if (c.kind === "aggregate") continue;
      const descriptor = await describe(c.kind, program.rpc);
      const inputs: BusFilter[] = descriptor.inputs.map((i) => ({
        domain: i.domain,
        eventTypes: [...i.eventTypes],
      }));
      const first = inputs[0];
      if (c.kind === "saga" && first) sagas.push(sagaClient(c.program, first, program.rpc));
      else if (c.kind === "projector" && first)
        projectors.push(projectorClient(c.program, first, c.synchronous ?? false, program.rpc));
      else if (c.kind === "process_manager") {
        const stateDomain = c.stateDomain ?? c.name.replace(/^pmg-/, "");
        processManagers.push(
          processManagerClient(
            c.program,
            stateDomain,
            inputs.filter((i) => i.domain !== stateDomain),
            program.rpc,
          ),
        );
      }
      this.log.info("supervisor.component_described", {
        program: c.program,
        kind: c.kind,
        inputs: descriptor.inputs.map((i) => i.domain),
      });
    }
    return { sagas: () => sagas, projectors: () => projectors, processManagers: () => processManagers };
  }

  /** GetDescriptor of every program (aggregates on `Aggregate`, the others on their own service). */
  async descriptors(): Promise<ComponentDescriptor[]> {
    const out: ComponentDescriptor[] = [];
    for (const program of this.programsByName.values()) {
      const c = program.component;
      out.push(
        c.kind === "aggregate" ? await program.handler.descriptor() : await describe(c.kind, program.rpc),
      );
    }
    return out;
  }

  /**
   * The domains' upcasters: every aggregate program that reports `angzarr.Upcaster` SERVING in
   * its health service (unless its component says `upcaster: false`) upcasts its own domain.
   * Asked once the programs are healthy.
   */
  async upcasters(): Promise<UpcasterRegistry> {
    const registry = new UpcasterRegistry();
    for (const [domain, program] of this.byDomain) {
      if (program.component.upcaster === false) continue;
      const serves = program.component.upcaster === true || (await servesUpcaster(program.rpc));
      if (!serves) continue;
      registry.set(domain, upcasterClient(program.rpc, this.options.handlers.timeoutMs));
      this.log.info("supervisor.upcaster_found", { domain, program: program.component.program });
    }
    return registry;
  }

  // HandlerDirectory

  aggregate(domain: string): AggregateHandler | undefined {
    return this.byDomain.get(domain)?.handler;
  }

  aggregateDomains(): string[] {
    return [...this.byDomain.keys()].sort();
  }
}

/** What a projector program is told about its read model (nothing for other programs). */
export function readModelEnv(
  component: { kind: string; program: string },
  options: Pick<SupervisorOptions, "readModelsDir" | "readModelsDurability">,
): Record<string, string> {
  if (component.kind !== "projector") return {};
  return {
    ...(options.readModelsDir
      ? { PROJECTOR_DB: join(options.readModelsDir, `${component.program}.db`) }
      : {}),
    ...(options.readModelsDurability ? { PROJECTOR_DB_DURABILITY: options.readModelsDurability } : {}),
  };
}
