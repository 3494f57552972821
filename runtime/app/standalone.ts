// Composition root of `angzarr standalone`: storage, in-process bus, supervised handler
// programs (healthy before traffic), the aggregate pipeline and the gateway on one TCP port.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { CommandBook, CommandResponse, SyncMode } from "@angzarr/proto";
import { consoleHandler } from "../../console/serve";
import { type DeliveryGate, MemoryBus } from "../bus/memory/memory-bus";
import type { RuntimeConfig } from "../config/load";
import { AggregatePipeline } from "../coordinator/aggregate-pipeline";
import { ReactiveHost } from "../coordinator/reactive-host";
import { TopologyRecorder } from "../coordinator/topology-recorder";
import { log, refreshLogLevel } from "../observability/log";
import { startGateway } from "../services/gateway-server";
import { openStorage } from "../storage/open";
import type { Storage } from "../storage/types";
import { Supervisor } from "../supervisor/supervisor";
import { standaloneCatalog } from "./catalog";

/** The `_meta.topology` publisher name of a standalone runtime (one process, every component). */
export const TOPOLOGY_PUBLISHER = "standalone";

export interface StandaloneOptions {
  /** Children's stdout/stderr: forwarded into the log (default) or dropped. */
  childOutput?: "forward" | "ignore";
  /** Where the human "listening" line goes (default stdout). */
  print?: (line: string) => void;
  /** Test hook: decides per subscriber and book whether the bus delivers it (a lossy bus). */
  busGate?: DeliveryGate;
  /** Test hook: what the runtime uses instead of the storage it opened (fault injection). */
  wrapStorage?: (storage: Storage) => Storage;
}

export interface Standalone {
  gatewayPort: number;
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
  const started = performance.now();
  log.info("runtime.starting", {
    config: config.source,
    data: config.data,
    storage: config.storage.backend,
    components: config.components.map((c) => c.program),
  });
  mkdirSync(config.data, { recursive: true });

  const cleanups: (() => Promise<void>)[] = [];
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
    const storage = options.wrapStorage ? options.wrapStorage(opened) : opened;
    const bus = new MemoryBus(options.busGate);
    cleanups.push(() => bus.close());

    const supervisor = new Supervisor({
      components: config.components,
      socketsDir: config.socketsDir,
      handlers: config.handlers,
      output: options.childOutput ?? "forward",
      readModelsDir: join(config.data, "read-models"),
    });
    cleanups.push(() => supervisor.stop());
    await supervisor.start();

    const upcasters = await supervisor.upcasters();
    const pipeline = new AggregatePipeline({
      events: storage.events,
      snapshots: storage.snapshots,
      editions: storage.editions,
      handlers: supervisor,
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
      ...(config.reactive.retry ? { retry: config.reactive.retry } : {}),
      upcast: upcasters.upcast,
      flows: topology,
    });
    pipeline.setDownstream(reactive);
    await reactive.start();
    cleanups.push(() => reactive.stop());

    const gateway = await startGateway({
      port: config.port,
      host: config.host,
      pipeline,
      storage,
      bus,
      handlers: supervisor,
      upcast: upcasters.upcast,
      extraDomains: () => directory.processManagers().map((pm) => pm.stateDomain),
      replayDeadLetter: (entry) => reactive.replay(entry),
      rebuildProjection: (name) => reactive.rebuildProjection(name),
      catalog: standaloneCatalog(supervisor, directory, reactive),
      httpRoutes: consoleHandler({
        onError: (err) => log.error("console.build_failed", { error: err.message }),
      }),
      deleteEditionReadModels: (edition) => reactive.deleteEditionReadModels(edition),
      speculator: reactive.speculator,
    });
    cleanups.push(() => gateway.stop());

    log.info("runtime.ready", {
      host: config.host,
      port: gateway.port,
      storage: config.storage.backend,
      domains: supervisor.aggregateDomains(),
      startupMs: Math.round(performance.now() - started),
    });
    (options.print ?? console.log)(`angzarr gateway listening on ${config.host}:${gateway.port}`);

    let stopping: Promise<void> | undefined;
    return {
      gatewayPort: gateway.port,
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
