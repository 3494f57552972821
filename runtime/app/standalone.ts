// Composition root of `angzarr standalone`: storage, in-process bus, supervised handler
// programs (healthy before traffic), the aggregate pipeline, the public gateway on one TCP port
// and the admin listener (operator services, console) on another.
import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { CommandBook, CommandResponse, SyncMode } from "@angzarr/proto";
import { consoleHandler } from "../../console/serve";
import { type DeliveryGate, MemoryBus } from "../bus/memory/memory-bus";
import type { RuntimeConfig } from "../config/load";
import { AggregatePipeline } from "../coordinator/aggregate-pipeline";
import { ReactiveHost } from "../coordinator/reactive-host";
import { TopologyRecorder } from "../coordinator/topology-recorder";
import { measuredBus, measuredHandlers, measuredStorage } from "../observability/instrument";
import { log, refreshLogLevel, setComponentLevels } from "../observability/log";
import { metricsRoute, observeRuntime } from "../observability/metrics";
import { runtimeGauges } from "../observability/runtime-gauges";
import { DEFAULT_ADMIN_PORT } from "../services/admin-bind";
import { type AdminListener, startAdminListener } from "../services/admin-listener";
import { type ServiceOptions, startGateway } from "../services/gateway-server";
import { watchReadiness } from "../services/readiness";
import { TopologyGraph } from "../services/topology-map";
import { openStorage } from "../storage/open";
import type { Storage } from "../storage/types";
import { Supervisor } from "../supervisor/supervisor";
import { standaloneCatalog } from "./catalog";
import { checkPortFree, lockDataFolder } from "./data-lock";

/** The `_meta.topology` publisher name of a standalone runtime (one process, every component). */
export const TOPOLOGY_PUBLISHER = "standalone";

export interface StandaloneOptions {
  /** Children's stdout/stderr: forwarded into the log (default) or dropped. */
  childOutput?: "forward" | "ignore";
  /** Where the human "listening" line goes (default stdout). */
  print?: (line: string) => void;
  /** Test hook: decides per subscriber and book whether the bus delivers it (a lossy bus). */
  busGate?: DeliveryGate;
  /**
   * Benchmark hook: false leaves out the measuring adapters (storage, bus, handlers) and the
   * scrape-time gauges, to compare against; the pipeline still counts its commands.
   */
  measure?: boolean;
  /** Test hook: what the runtime uses instead of the storage it opened (fault injection). */
  wrapStorage?: (storage: Storage) => Storage;
}

export interface Standalone {
  gatewayPort: number;
  /** The admin listener (operator services, console; `admin.route()` adds plain HTTP routes). */
  admin: AdminListener;
  /** The supervisor, for inspection (pids, states). */
  supervisor: Supervisor;
  /** The in-process client: commands straight into the pipeline, no gateway. */
  execute(book: CommandBook, syncMode?: SyncMode): Promise<CommandResponse>;
  /** The sagas, PMs and projectors host (settle() waits for every consumer to catch up). */
  reactive: ReactiveHost;
  storage: Storage;
  /** Stops the gateway, then the programs, then closes storage. Idempotent. */
  stop(): Promise<void>;
}

export async function startStandalone(
  config: RuntimeConfig,
  options: StandaloneOptions = {},
): Promise<Standalone> {
  if (config.log !== undefined) {
    process.env.ANGZARR_LOG = config.log;
    refreshLogLevel();
  }
  if (config.logLevels !== undefined) setComponentLevels(config.logLevels);
  const started = performance.now();
  log.info("runtime.starting", {
    config: config.source,
    data: config.data,
    storage: config.storage.backend,
    components: config.components.map((c) => c.program),
  });
  // Data stays the runtime's: files 0600 and folders 0700, also what the handler programs create
  // (they inherit the mask), such as the projectors' read-model databases.
  process.umask(0o077);
  mkdirSync(config.data, { recursive: true, mode: 0o700 });
  chmodSync(config.data, 0o700);
  // Before any program is spawned: the ports, and this data folder for this process alone.
  const adminSettings = config.admin ?? {
    port: config.port === 0 ? 0 : DEFAULT_ADMIN_PORT,
    host: "127.0.0.1",
  };
  await checkPortFree(config.host, config.port, "--port");
  await checkPortFree(adminSettings.host, adminSettings.port, "--admin-port");
  const lock = lockDataFolder(config.data);

  const cleanups: (() => Promise<void>)[] = [async () => lock.release()];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        log.error("runtime.stop_failed", { error: (err as Error).message });
      }
    }
  };

  try {
    const opened: Storage = await openStorage(config.storage);
    cleanups.push(() => opened.close());
    const measure = options.measure ?? true;
    const given = options.wrapStorage ? options.wrapStorage(opened) : opened;
    const storage = measure ? measuredStorage(given) : given;
    const bus = measure ? measuredBus(new MemoryBus(options.busGate)) : new MemoryBus(options.busGate);
    cleanups.push(() => bus.close());

    const supervisor = new Supervisor({
      components: config.components,
      socketsDir: config.socketsDir,
      handlers: config.handlers,
      maxMessageBytes: config.maxMessageBytes,
      output: options.childOutput ?? "forward",
      readModelsDir: join(config.data, "read-models"),
      // The read models promise what the store promises (sdk/src/sqlite-projection.ts).
      ...(config.storage.backend === "sqlite"
        ? { readModelsDurability: config.storage.durability ?? "normal" }
        : {}),
    });
    cleanups.push(() => supervisor.stop());
    await supervisor.start();

    const upcasters = await supervisor.upcasters();
    const pipeline = new AggregatePipeline({
      events: storage.events,
      snapshots: storage.snapshots,
      editions: storage.editions,
      handlers: measure ? measuredHandlers(supervisor) : supervisor,
      bus,
      upcasters,
      handlerTimeoutMs: config.handlers.timeoutMs,
    });
    const directory = await supervisor.reactiveDirectory();
    const topology = new TopologyRecorder(storage.events, bus, TOPOLOGY_PUBLISHER);
    await topology.start(await supervisor.descriptors());
    cleanups.push(() => topology.flushed());
    const reactive = new ReactiveHost({
      pipeline,
      events: storage.events,
      causations: storage.causations,
      deadLetters: storage.deadLetters,
      positions: storage.positions,
      editions: storage.editions,
      outbox: storage.outbox,
      bus,
      directory,
      pollMs: config.reactive.pollMs,
      onFailure: config.reactive.onFailure,
      ...(config.reactive.outboxChunk ? { outboxChunk: config.reactive.outboxChunk } : {}),
      ...(config.reactive.retry ? { retry: config.reactive.retry } : {}),
      upcast: upcasters.upcast,
      flows: topology,
    });
    pipeline.setDownstream(reactive);
    await reactive.start();
    cleanups.push(() => reactive.stop());

    const catalog = standaloneCatalog(supervisor, directory, reactive);
    const unobserve = measure
      ? observeRuntime(
          runtimeGauges({
            storage,
            catalog,
            restarts: () => new Map(supervisor.programs().map((p) => [p.component.program, p.restarts])),
          }),
        )
      : () => {};
    cleanups.push(async () => unobserve());
    const services = {
      pipeline,
      storage,
      bus,
      handlers: supervisor,
      upcast: upcasters.upcast,
      extraDomains: () => directory.processManagers().map((pm) => pm.stateDomain),
      replayDeadLetter: (entry) => reactive.replay(entry),
      rebuildProjection: (name) => reactive.rebuildProjection(name),
      catalog,
      deleteEditionReadModels: (edition: string) => reactive.deleteEditionReadModels(edition),
      speculator: reactive.speculator,
      maxMessageBytes: config.maxMessageBytes,
      // One topology builder for both listeners (GET /topology and GetTopology read the same graph).
      topology: new TopologyGraph(storage.events),
    } satisfies ServiceOptions;
    const admin = await startAdminListener({
      ...services,
      port: adminSettings.port,
      host: adminSettings.host,
      ...(adminSettings.token !== undefined ? { token: adminSettings.token } : {}),
      publicPages: consoleHandler({
        onError: (err) => log.error("console.build_failed", { error: err.message }),
      }),
    });
    cleanups.push(() => admin.stop());
    admin.route("GET", "/metrics", metricsRoute);
    const gateway = await startGateway({
      ...services,
      port: config.port,
      host: config.host,
      ...(config.connections
        ? {
            idleTimeoutMs: config.connections.idleTimeoutMs,
            maxConnectionsPerClient: config.connections.maxPerClient,
          }
        : {}),
    });
    cleanups.push(() => gateway.stop());
    // NOT_SERVING while a handler program cannot be reached (dead and not yet restarted, its
    // socket gone), SERVING again once it answers.
    const readiness = watchReadiness({
      board: gateway.health,
      log,
      events: { ready: "health.serving", notReady: "health.not_serving" },
      check: () => supervisor.unreachable(),
    });
    cleanups.push(async () => readiness.stop());
    lock.setPort(gateway.port);

    log.info("runtime.ready", {
      host: config.host,
      port: gateway.port,
      adminPort: admin.port,
      storage: config.storage.backend,
      domains: supervisor.aggregateDomains(),
      startupMs: Math.round(performance.now() - started),
    });
    const print = options.print ?? console.log;
    print(`angzarr gateway listening on ${config.host}:${gateway.port}`);
    print(`angzarr admin listening on ${admin.host}:${admin.port} (console: ${admin.url}/console)`);

    let stopping: Promise<void> | undefined;
    return {
      gatewayPort: gateway.port,
      admin,
      execute: (book, syncMode) => pipeline.execute(book, syncMode),
      supervisor,
      reactive,
      storage,
      stop: () => {
        stopping ??= (async () => {
          log.info("runtime.stopping", {});
          await cleanup();
          log.info("runtime.stopped", {});
        })();
        return stopping;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
