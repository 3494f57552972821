// `angzarr saga NAME`, `angzarr projector NAME`, `angzarr pm NAME`: one saga, projector or process
// manager in its own process. Runs its handler program and a reactive host over the shared store:
// checkpointed consumers woken by its durable RabbitMQ queue (acknowledged once the checkpoint is
// stored), its outbox, deadlines (PMs); commands go to the aggregate coordinator of their domain
// (PeerCoordinator.Run, exactly once per causation). Answers PeerCoordinator.React for SIMPLE /
// CASCADE, and the operator services (dead letters, projection rebuild, checkpoints, speculation)
// for itself: the admin role asks them. Its /metrics carries its consumer's lag and dead letters.

import type { RuntimeConfig } from "../config/load";
import { ReactiveHost } from "../coordinator/reactive-host";
import { observeRuntime } from "../observability/metrics";
import { runtimeGauges } from "../observability/runtime-gauges";
import { adminRoutes, type ServiceOptions, serviceDeps } from "../services/gateway-server";
import { PeerCoordinator, peerCoordinatorService } from "../services/peer-service";
import { PeerPipeline } from "../transport/peer-pipeline";
import { recordTopology } from "./aggregate-role";
import { standaloneCatalog } from "./catalog";
import { type DistributedEnv, openRole, type RoleSpec, type RunningRole, serveRole } from "./role-kit";

export async function startReactiveRole(
  config: RuntimeConfig,
  spec: RoleSpec & { kind: "saga" | "projector" | "pm"; name: string },
  env: DistributedEnv,
  print?: (line: string) => void,
): Promise<RunningRole> {
  const { kit, stop } = await openRole(config, spec, env);
  const supervisor = kit.supervisor;
  if (!supervisor) throw new Error(`${spec.kind} role without its handler program`);
  try {
    const { storage } = kit;
    const pipeline = new PeerPipeline(kit.peers, storage.editions);
    const directory = await supervisor.reactiveDirectory();
    const topology = await recordTopology(kit, await supervisor.descriptors());
    const reactive = new ReactiveHost({
      pipeline,
      events: storage.events,
      causations: storage.causations,
      deadLetters: storage.deadLetters,
      positions: storage.positions,
      editions: storage.editions,
      outbox: storage.outbox,
      bus: kit.bus,
      directory,
      pollMs: config.reactive.pollMs,
      onFailure: config.reactive.onFailure,
      ...(config.reactive.outboxChunk ? { outboxChunk: config.reactive.outboxChunk } : {}),
      ...(config.reactive.retry ? { retry: config.reactive.retry } : {}),
      flows: topology,
      upcast: kit.peers.upcast,
      log: kit.log,
    });
    await reactive.start();
    kit.onStop(() => reactive.stop());
    const catalog = standaloneCatalog(supervisor, directory, reactive);
    // Scrape-time figures of this role: its consumer's lag and dead letters, its program's restarts.
    const unobserve = observeRuntime(
      runtimeGauges({
        storage,
        catalog,
        consumers: [spec.name],
        restarts: () => new Map(supervisor.programs().map((p) => [p.component.program, p.restarts])),
      }),
    );
    kit.onStop(unobserve);
    const services = {
      pipeline,
      storage,
      bus: kit.bus,
      handlers: { aggregate: () => undefined, aggregateDomains: () => kit.peers.domains() },
      extraDomains: () => directory.processManagers().map((pm) => pm.stateDomain),
      upcast: kit.peers.upcast,
      replayDeadLetter: (entry) => reactive.replay(entry),
      rebuildProjection: (name) => reactive.rebuildProjection(name),
      catalog,
      deleteEditionReadModels: (edition) => reactive.deleteEditionReadModels(edition),
      speculator: reactive.speculator,
    } satisfies ServiceOptions;
    return await serveRole(
      kit,
      {
        ...services,
        peerRoutes: (router) => {
          router.service(PeerCoordinator, peerCoordinatorService({ reactive, log: kit.log }));
          // Dead letters, projection rebuild and checkpoints of this role's consumer, for the admin role.
          adminRoutes(serviceDeps(services, kit.log))(router);
        },
      },
      stop,
      print,
    );
  } catch (err) {
    await stop();
    throw err;
  }
}
