// `angzarr aggregate --domain D`: the aggregate coordinator of one domain in its own process. Runs
// the domain's handler program, the command pipeline over the shared store, publishes to RabbitMQ,
// answers AggregateCoordinator (from the gateway) and PeerCoordinator.Run (sagas' and PMs'
// commands), and waits for the reactive roles under SIMPLE / CASCADE.

import type { RuntimeConfig } from "../config/load";
import { AggregatePipeline } from "../coordinator/aggregate-pipeline";
import { TopologyRecorder } from "../coordinator/topology-recorder";
import { measuredHandlers } from "../observability/instrument";
import { leanUnary } from "../services/lean-unary";
import { PeerCoordinator, peerCoordinatorService } from "../services/peer-service";
import { PeerDownstream } from "../transport/peer-pipeline";
import { type DistributedEnv, openRole, type RunningRole, reactivePeersOf, serveRole } from "./role-kit";

export async function startAggregateRole(
  config: RuntimeConfig,
  domain: string,
  env: DistributedEnv,
  print?: (line: string) => void,
): Promise<RunningRole> {
  const spec = { kind: "aggregate" as const, name: domain };
  const { kit, stop } = await openRole(config, spec, env);
  const supervisor = kit.supervisor;
  if (!supervisor) throw new Error("aggregate role without its handler program");
  try {
    const upcasters = await supervisor.upcasters();
    const pipeline = new AggregatePipeline({
      events: kit.storage.events,
      snapshots: kit.storage.snapshots,
      editions: kit.storage.editions,
      handlers: measuredHandlers(supervisor),
      bus: kit.bus,
      upcasters,
      handlerTimeoutMs: config.handlers.timeoutMs,
      // A command's history read is a round trip to PostgreSQL: the next command of an aggregate
      // is decided on the snapshot this role stored, and the append checks it is still current.
      rememberSnapshots: config.storage.backend === "postgres",
      log: kit.log,
    });
    pipeline.setDownstream(new PeerDownstream(kit.peers, reactivePeersOf(config, env)));
    await recordTopology(kit, await supervisor.descriptors());
    const peerService = peerCoordinatorService({ pipeline, upcasters, log: kit.log });
    return await serveRole(
      kit,
      {
        pipeline,
        handlers: supervisor,
        upcast: upcasters.upcast,
        peerRoutes: (router) => router.service(PeerCoordinator, peerService),
        // Sagas' and PMs' commands take the lean HTTP/1.1 path too.
        extraLean: (connect) => [
          [
            `/${PeerCoordinator.typeName}/${PeerCoordinator.method.run.name}`,
            leanUnary(PeerCoordinator, PeerCoordinator.method.run, peerService.run, connect),
          ],
        ],
      },
      stop,
      print,
    );
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Records the role's component in the topology (one publisher per role; a replica's race is harmless). */
export async function recordTopology(
  kit: Awaited<ReturnType<typeof openRole>>["kit"],
  descriptors: Parameters<TopologyRecorder["start"]>[0],
): Promise<TopologyRecorder> {
  const recorder = new TopologyRecorder(
    kit.storage.events,
    kit.bus,
    `${kit.spec.kind}:${kit.spec.name ?? ""}`,
    kit.log,
  );
  try {
    await recorder.start(descriptors);
  } catch (err) {
    kit.log.warn("topology.record_failed", { error: (err as Error).message });
  }
  kit.onStop(() => recorder.flushed());
  return recorder;
}
