// What every role of distributed mode shares (one role per OS process: gateway, admin, aggregate,
// saga, projector, process manager): the environment it reads, the shared store and the RabbitMQ bus,
// its one handler program, its listener with gRPC health and readiness, and an orderly stop.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PeerCoordinator } from "@angzarr/proto";
import type { ConnectRouter } from "@connectrpc/connect";
import { RabbitBus } from "../bus/rabbitmq/rabbit-bus";
import { type ComponentConfig, ConfigError, type RuntimeConfig } from "../config/load";
import { measuredBus, measuredStorage } from "../observability/instrument";
import { type Logger, refreshLogLevel, log as rootLog } from "../observability/log";
import { metricsRoute } from "../observability/metrics";
import { type Gateway, type GatewayOptions, startGateway } from "../services/gateway-server";
import { watchReadiness } from "../services/readiness";
import { openStorage } from "../storage/open";
import type { Storage } from "../storage/types";
import { Supervisor } from "../supervisor/supervisor";
import type { ReactivePeer } from "../transport/peer-pipeline";
import { PeerClients, parsePeers } from "../transport/peers";

export type RoleKind = "gateway" | "admin" | "aggregate" | "saga" | "projector" | "pm";

export interface RoleSpec {
  kind: RoleKind;
  /** Aggregates: the domain; sagas, projectors, PMs: the component name; gateway, admin: absent. */
  name?: string;
}

/** The distributed-mode environment (beside ANGZARR_PG_URL and ANGZARR_LOG, read by the config). */
export interface DistributedEnv {
  amqpUrl: string;
  /** Exchange `<prefix>.events` and queues `<prefix>.<consumer>.<domain>` (ANGZARR_BUS_PREFIX). */
  busPrefix: string;
  /** Aggregate coordinators by domain (ANGZARR_PEERS). */
  peers: Map<string, string>;
  /** Saga, projector and PM roles by name (ANGZARR_REACTIVE_PEERS). */
  reactivePeers: Map<string, string>;
  /** The role's handler program listens here already (a sidecar): connect, do not spawn. */
  handlerSocket?: string;
}

export function readDistributedEnv(env: Record<string, string | undefined> = process.env): DistributedEnv {
  const problems: string[] = [];
  const get = (name: string) => (env[name] === undefined || env[name] === "" ? undefined : env[name]);
  const amqpUrl = get("ANGZARR_AMQP_URL") ?? "amqp://guest:guest@127.0.0.1:5672";
  if (!/^amqps?:\/\//.test(amqpUrl))
    problems.push(`ANGZARR_AMQP_URL: expected amqp://..., got ${JSON.stringify(amqpUrl)}`);
  const busPrefix = get("ANGZARR_BUS_PREFIX") ?? "angzarr";
  if (!/^[A-Za-z0-9_-]+$/.test(busPrefix))
    problems.push(
      `ANGZARR_BUS_PREFIX: expected letters, digits, '-' or '_', got ${JSON.stringify(busPrefix)}`,
    );
  const peers = (name: string) => {
    try {
      return parsePeers(get(name), name);
    } catch (err) {
      problems.push((err as Error).message);
      return new Map<string, string>();
    }
  };
  const out: DistributedEnv = {
    amqpUrl,
    busPrefix,
    peers: peers("ANGZARR_PEERS"),
    reactivePeers: peers("ANGZARR_REACTIVE_PEERS"),
  };
  const socket = get("ANGZARR_HANDLER_SOCKET");
  if (socket !== undefined) out.handlerSocket = socket;
  if (problems.length > 0) throw new ConfigError("environment", problems);
  return out;
}

const KIND_OF: Record<Exclude<RoleKind, "gateway" | "admin">, ComponentConfig["kind"]> = {
  aggregate: "aggregate",
  saga: "saga",
  projector: "projector",
  pm: "process_manager",
};

/** The configured component a role runs, its handler reached over ANGZARR_HANDLER_SOCKET when set. */
export function roleComponent(
  config: RuntimeConfig,
  spec: RoleSpec,
  handlerSocket?: string,
): ComponentConfig {
  if (spec.kind === "gateway" || spec.kind === "admin") throw new Error(`the ${spec.kind} runs no component`);
  const kind = KIND_OF[spec.kind];
  const found = config.components.find(
    (c) =>
      c.kind === kind && (kind === "aggregate" ? (c.domain ?? c.name) === spec.name : c.name === spec.name),
  );
  if (!found) {
    const known = config.components
      .filter((c) => c.kind === kind)
      .map((c) => (kind === "aggregate" ? (c.domain ?? c.name) : c.name));
    throw new ConfigError(config.source, [
      `components: no ${kind} ${JSON.stringify(spec.name)} configured (known: ${known.join(", ") || "none"})`,
    ]);
  }
  return handlerSocket === undefined
    ? found
    : { ...found, launch: { type: "external", socket: handlerSocket } };
}

/** The reactive roles an aggregate coordinator waits for under SIMPLE / CASCADE. */
export function reactivePeersOf(config: RuntimeConfig, env: DistributedEnv): ReactivePeer[] {
  return [...env.reactivePeers.keys()].map((name) => {
    const c = config.components.find((x) => x.name === name && x.kind !== "aggregate");
    return { name, synchronous: c?.kind === "projector" && c.synchronous === true };
  });
}

/** A role's label in logs and in its "listening" line (`aggregate order`, `saga saga-x`, `gateway`). */
export function roleLabel(spec: RoleSpec): string {
  return spec.name === undefined ? spec.kind : `${spec.kind} ${spec.name}`;
}

export interface RoleKit {
  config: RuntimeConfig;
  env: DistributedEnv;
  spec: RoleSpec;
  storage: Storage;
  bus: RabbitBus;
  peers: PeerClients;
  /** The role's one handler program (absent for the gateway and the admin role). */
  supervisor?: Supervisor;
  log: Logger;
  /** Run in reverse order by stop(). */
  onStop(fn: () => Promise<void> | void): void;
}

/** Opens the store, the bus (waiting for the broker) and, for a component role, its handler program. */
export async function openRole(
  config: RuntimeConfig,
  spec: RoleSpec,
  env: DistributedEnv,
): Promise<{ kit: RoleKit; stop: () => Promise<void> }> {
  if (config.log !== undefined) {
    process.env.ANGZARR_LOG = config.log;
    refreshLogLevel();
  }
  const log = rootLog.child({ role: roleLabel(spec) });
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        log.error("role.stop_failed", { error: (err as Error).message });
      }
    }
  };
  try {
    mkdirSync(config.data, { recursive: true });
    // Every role holds its own pool: a small one each keeps the deployment under the server's
    // connection limit (ANGZARR_PG_POOL overrides).
    const pool = Number(process.env.ANGZARR_PG_POOL ?? 3);
    const storage = measuredStorage(
      await openStorage(
        config.storage.backend === "postgres"
          ? { ...config.storage, maxConnections: Number.isInteger(pool) && pool > 0 ? pool : 3 }
          : config.storage,
      ),
    );
    cleanups.push(() => storage.close());
    // Measured: publishes (a span each, whose context the message carries) and acknowledgements.
    const bus = measuredBus(
      new RabbitBus({
        url: env.amqpUrl,
        exchange: `${env.busPrefix}.events`,
        queuePrefix: env.busPrefix,
        log,
      }),
    );
    cleanups.push(() => bus.close());
    await bus.connect(60_000);
    const peers = new PeerClients(env.peers, env.reactivePeers, config.maxMessageBytes);
    cleanups.push(() => peers.close());
    const kit: RoleKit = {
      config,
      env,
      spec,
      storage,
      bus,
      peers,
      log,
      onStop: (fn) => cleanups.push(fn),
    };
    if (spec.kind !== "gateway" && spec.kind !== "admin") {
      const supervisor = new Supervisor({
        components: [roleComponent(config, spec, env.handlerSocket)],
        socketsDir: config.socketsDir,
        handlers: config.handlers,
        maxMessageBytes: config.maxMessageBytes,
        readModelsDir: join(config.data, "read-models"),
        log,
      });
      cleanups.push(() => supervisor.stop());
      await supervisor.start();
      kit.supervisor = supervisor;
    }
    return { kit, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A role up and listening. */
export interface RunningRole {
  spec: RoleSpec;
  port: number;
  host: string;
  stop(): Promise<void>;
}

/**
 * Serves the role's services on its port with gRPC health: SERVING only while the store answers,
 * the broker connection is up and the handler program (if any) is ready.
 */
export async function serveRole(
  kit: RoleKit,
  options: Omit<GatewayOptions, "port" | "host" | "storage" | "bus" | "extraRoutes" | "extraHealthNames"> & {
    peerRoutes?: (router: ConnectRouter) => void;
  },
  stopKit: () => Promise<void>,
  print: (line: string) => void = console.log,
): Promise<RunningRole> {
  const { peerRoutes, ...gatewayOptions } = options;
  let server: Gateway;
  try {
    server = await startGateway({
      ...gatewayOptions,
      port: kit.config.port,
      host: kit.config.host,
      maxMessageBytes: kit.config.maxMessageBytes,
      storage: kit.storage,
      bus: kit.bus,
      // Each role's own figures (no admin listener in a role): scraped per pod.
      getRoutes: { ...gatewayOptions.getRoutes, "/metrics": metricsRoute },
      ...(peerRoutes ? { extraRoutes: peerRoutes, extraHealthNames: [PeerCoordinator.typeName] } : {}),
    });
  } catch (err) {
    await stopKit();
    throw err;
  }
  const readiness = watchReadiness({
    board: server.health,
    initiallyReady: false,
    log: kit.log,
    events: { ready: "role.ready", notReady: "role.not_ready" },
    check: async () => {
      const problems: string[] = [];
      try {
        await kit.storage.positions.get("_readiness", "", "");
      } catch (err) {
        problems.push(`store: ${(err as Error).message}`);
      }
      if (!kit.bus.connected) problems.push("broker: not connected");
      for (const p of (await kit.supervisor?.unreachable()) ?? []) problems.push(`handler ${p}`);
      return problems;
    },
  });
  await readiness.refresh();
  const label = roleLabel(kit.spec);
  print(`angzarr ${label} listening on ${kit.config.host}:${server.port}`);
  let stopping: Promise<void> | undefined;
  return {
    spec: kit.spec,
    port: server.port,
    host: kit.config.host,
    stop: () => {
      stopping ??= (async () => {
        readiness.stop();
        kit.log.info("role.stopping", {});
        await server.stop();
        await stopKit();
        kit.log.info("role.stopped", {});
      })();
      return stopping;
    },
  };
}
