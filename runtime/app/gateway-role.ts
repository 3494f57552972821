// `angzarr gateway`: the client-facing process of distributed mode. Routes each command to the
// aggregate coordinator of its cover's domain (ANGZARR_PEERS; UNAVAILABLE naming the domain while
// that coordinator is down), serves queries and editions from the shared store, and streams
// events from the bus. Runs no handler program. The web console and the operator services are the
// admin role's (admin-role.ts).
import type { RuntimeConfig } from "../config/load";
import { PeerPipeline } from "../transport/peer-pipeline";
import { forwardedOperations } from "./role-forwarding";
import { type DistributedEnv, openRole, type RunningRole, serveRole } from "./role-kit";

export async function startGatewayRole(
  config: RuntimeConfig,
  env: DistributedEnv,
  print?: (line: string) => void,
): Promise<RunningRole> {
  const { kit, stop } = await openRole(config, { kind: "gateway" }, env);
  const stateDomains = config.components
    .filter((c) => c.kind === "process_manager")
    .map((c) => c.stateDomain ?? c.name);
  const pipeline = new PeerPipeline(kit.peers, kit.storage.editions);
  return serveRole(
    kit,
    {
      pipeline,
      forwardCommands: {
        serves: (domain) => kit.peers.aggregates.has(domain),
        execute: (domain, book) => pipeline.executeEncoded(domain, book),
      },
      handlers: { aggregate: () => undefined, aggregateDomains: () => kit.peers.domains() },
      extraDomains: () => stateDomains,
      upcast: kit.peers.upcast,
      // Speculation and an edition's read-model cleanup go to the roles that host them.
      ...forwardedOperations(config, kit),
    },
    stop,
    print,
  );
}
