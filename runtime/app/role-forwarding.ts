// What the gateway and admin roles of distributed mode ask of the roles that own the work: each
// saga, PM and projector role answers the operator services for its own consumer (dead-letter
// replay, projection rebuild, checkpoints), speculation and read-model cleanup on its port; each
// role reports its readiness through gRPC health. A role that cannot be reached answers
// UNAVAILABLE naming it.
import { HealthCheckResponse_ServingStatus as ServingStatus } from "@angzarr/proto";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ComponentConfig, RuntimeConfig } from "../config/load";
import type { ComponentInfo, ConsumerCheckpoint, RuntimeCatalog } from "../services/deps";
import type { ServiceOptions } from "../services/gateway-server";
import type { TopologyGraph } from "../services/topology-map";
import type { DeadLetterEntry } from "../storage/types";
import { isUnreachable } from "../transport/peers";
import type { RoleKit } from "./role-kit";

type ReactiveKind = "saga" | "process_manager" | "projector";
const REACTIVE = new Set<string>(["saga", "process_manager", "projector"]);
const isReactive = (c: ComponentConfig): c is ComponentConfig & { kind: ReactiveKind } =>
  REACTIVE.has(c.kind);

/** Runs a call to a component's role; an unreachable role becomes UNAVAILABLE naming it. */
async function callRole<T>(name: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!isUnreachable(err)) throw err;
    const reason = err instanceof ConnectError ? err.rawMessage : (err as Error).message;
    throw new ConnectError(`the role of ${name} is unavailable: ${reason}`, Code.Unavailable);
  }
}

/** The role hosting reactive component `name` (of `kind` when given); FAILED_PRECONDITION when none. */
function roleOf(config: RuntimeConfig, kit: RoleKit, name: string, kind?: ReactiveKind) {
  const component = config.components.find((c) => c.name === name && isReactive(c));
  const peer =
    component && (kind === undefined || component.kind === kind) ? kit.peers.forComponent(name) : undefined;
  if (!peer)
    throw new ConnectError(
      `no ${kind?.replace("_", " ") ?? "saga, process manager or projector"} role named ${name} in this deployment`,
      kind === "projector" ? Code.NotFound : Code.FailedPrecondition,
    );
  return peer;
}

const KIND_OF = { saga: "saga", "process manager": "process_manager", projector: "projector" } as const;

/** Speculation, read-model cleanup, dead-letter replay and projection rebuild, each by its role. */
export function forwardedOperations(
  config: RuntimeConfig,
  kit: RoleKit,
): Pick<
  ServiceOptions,
  "speculationPeer" | "deleteEditionReadModels" | "replayDeadLetter" | "rebuildProjection"
> {
  return {
    speculationPeer: (kind, name) => {
      const peer = config.components.some((c) => c.name === name && c.kind === KIND_OF[kind])
        ? kit.peers.forComponent(name)
        : undefined;
      if (!peer) return undefined;
      return {
        speculative: peer.speculative,
        caughtUp: async () => {
          await callRole(name, () => peer.peer.catchUp({}, { timeoutMs: 30_000 }));
        },
      };
    },
    // Every projector role drops its read models of the deleted edition.
    deleteEditionReadModels: async (edition) => {
      const projectors = config.components.filter((c) => c.kind === "projector");
      await Promise.all(
        projectors.map((c) => kit.peers.forComponent(c.name)?.peer.deleteEditionReadModels({ edition })),
      );
    },
    replayDeadLetter: async (entry: DeadLetterEntry) => {
      const peer = roleOf(config, kit, entry.consumer);
      await callRole(entry.consumer, () =>
        peer.deadLetters.replay({ id: BigInt(entry.id) }, { timeoutMs: 60_000 }),
      );
    },
    rebuildProjection: async (projector) => {
      const peer = roleOf(config, kit, projector, "projector");
      const done = await callRole(projector, () =>
        peer.projections.rebuild({ projector }, { timeoutMs: 600_000 }),
      );
      return Number(done.replayedEvents);
    },
  };
}

/** A role's readiness as its gRPC health reports it. */
async function roleHealth(peer: ReturnType<RoleKit["peers"]["forComponent"]>): Promise<string> {
  if (!peer) return "unknown";
  try {
    const answer = await peer.health.check({ service: "" }, { timeoutMs: 2_000 });
    return answer.status === ServingStatus.SERVING ? "ready" : "not_ready";
  } catch {
    return "unreachable";
  }
}

/**
 * The deployment as the inspection and projection services see it: the configured components,
 * their inputs from the descriptors each role recorded in the store, each role's health, and the
 * checkpoints each reactive role reports for its consumer (a role that does not answer is left out).
 */
export function distributedCatalog(
  config: RuntimeConfig,
  kit: RoleKit,
  graph: TopologyGraph,
): RuntimeCatalog {
  return {
    async components() {
      await graph.refresh();
      const inputs = new Map(graph.snapshot().nodes.map((n) => [n.id, n.inputs.map((i) => i.domain)]));
      return Promise.all(
        config.components.map(async (c): Promise<ComponentInfo> => {
          if (!isReactive(c)) {
            const domain = c.domain ?? c.name;
            const health = await roleHealth(kit.peers.forDomain(domain));
            return { name: domain, kind: "aggregate", domain, inputs: [], health };
          }
          return {
            name: c.name,
            kind: c.kind,
            domain: c.kind === "process_manager" ? (c.stateDomain ?? c.name) : "",
            inputs: [...new Set(inputs.get(c.name) ?? [])],
            health: await roleHealth(kit.peers.forComponent(c.name)),
          };
        }),
      );
    },
    async checkpoints() {
      const lists = await Promise.all(
        config.components.filter(isReactive).map(async (c): Promise<ConsumerCheckpoint[]> => {
          const peer = kit.peers.forComponent(c.name);
          if (!peer) return [];
          try {
            const answer = await peer.projections.listCheckpoints({ consumer: c.name }, { timeoutMs: 5_000 });
            return answer.checkpoints.map((cp) => ({
              consumer: cp.consumer,
              kind: REACTIVE.has(cp.kind) ? (cp.kind as ReactiveKind) : c.kind,
              domain: cp.domain,
              edition: cp.edition,
              position: cp.position,
            }));
          } catch (err) {
            kit.log.debug("admin.checkpoints_unavailable", {
              component: c.name,
              error: (err as Error).message,
            });
            return [];
          }
        }),
      );
      return lists.flat();
    },
  };
}
