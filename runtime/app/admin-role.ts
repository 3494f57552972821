// `angzarr admin`: the operator's process of distributed mode. Serves the admin listener (the web
// console, GET /metrics, the query services the console reads, the operator services) over the
// shared store and bus; what belongs to another role is asked of that role over the peer transport:
// a dead letter is replayed by the role of its consumer, a projection rebuilt by its projector's
// role, checkpoints come from the saga, PM and projector roles, speculation and an edition's
// read-model cleanup go to the roles that host them, commands to the aggregate roles. Components
// come from the configuration (inputs from the descriptors the roles record in the store), their
// health from each role's gRPC health. Runs no handler program.
import { consoleHandler } from "../../console/serve";
import type { RuntimeConfig } from "../config/load";
import { log as rootLog } from "../observability/log";
import { metricsRoute } from "../observability/metrics";
import { DEFAULT_ADMIN_PORT } from "../services/admin-bind";
import { startAdminListener } from "../services/admin-listener";
import { TopologyGraph } from "../services/topology-map";
import { PeerPipeline } from "../transport/peer-pipeline";
import { distributedCatalog, forwardedOperations } from "./role-forwarding";
import { type DistributedEnv, openRole, type RunningRole } from "./role-kit";

export async function startAdminRole(
  config: RuntimeConfig,
  env: DistributedEnv,
  print: (line: string) => void = console.log,
): Promise<RunningRole> {
  const spec = { kind: "admin" as const };
  const { kit, stop } = await openRole(config, spec, env);
  const settings = config.admin ?? { port: DEFAULT_ADMIN_PORT, host: "127.0.0.1" };
  try {
    const stateDomains = config.components
      .filter((c) => c.kind === "process_manager")
      .map((c) => c.stateDomain ?? c.name);
    // One topology builder for the listener's two views and the catalog's component inputs.
    const topology = new TopologyGraph(kit.storage.events);
    const admin = await startAdminListener({
      pipeline: new PeerPipeline(kit.peers, kit.storage.editions),
      storage: kit.storage,
      bus: kit.bus,
      handlers: { aggregate: () => undefined, aggregateDomains: () => kit.peers.domains() },
      extraDomains: () => stateDomains,
      upcast: kit.peers.upcast,
      catalog: distributedCatalog(config, kit, topology),
      topology,
      ...forwardedOperations(config, kit),
      port: settings.port,
      host: settings.host,
      ...(settings.token !== undefined ? { token: settings.token } : {}),
      publicPages: consoleHandler({
        onError: (err) => kit.log.error("console.build_failed", { error: err.message }),
      }),
      log: kit.log,
    });
    admin.route("GET", "/metrics", metricsRoute);
    kit.onStop(() => admin.stop());
    print(`angzarr admin listening on ${admin.host}:${admin.port} (console: ${admin.url}/console)`);
    let stopping: Promise<void> | undefined;
    return {
      spec,
      port: admin.port,
      host: admin.host,
      stop: () => {
        stopping ??= (async () => {
          kit.log.info("role.stopping", {});
          await stop();
          kit.log.info("role.stopped", {});
        })();
        return stopping;
      },
    };
  } catch (err) {
    rootLog.error("role.start_failed", { role: "admin", error: (err as Error).message });
    await stop();
    throw err;
  }
}
