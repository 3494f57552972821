// The component graph with live figures (angzarr.ext.InspectionService.GetTopology).
//
// FlowObserver takes the main timeline's events from the runtime's one reader of the global log
// (TopologyGraph, topology-map.ts, which hands it each event once, in log order) and keeps, per domain, the event count, the last event
// and the times of the last minute's events; and, per correlation id, the domains it has reached
// so far. When a correlation id first reaches domain B, the domain of its previous event is taken
// as the step's source: one `flow` edge A → B per correlation id. Correlation ids are forgotten
// oldest first past a bound, so memory stays flat on a long-running runtime.
//
// topologyOf() joins those figures with the runtime's components (aggregates, sagas, process
// managers, projectors, their inputs and health) and the consumers' checkpoints (lag).
import {
  AnyPayload,
  Timestamps,
  type Topology,
  TopologyEdgeSchema,
  type TopologyNode,
  TopologyNodeSchema,
  TopologySchema,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { EventStore, StoredEvent } from "../storage/types";
import type { ComponentInfo, ConsumerCheckpoint } from "./deps";

const MINUTE_MS = 60_000;
/** Correlation ids remembered for flow edges. */
const DEFAULT_CORRELATIONS = 50_000;
/** Lag is counted up to this many events per checkpoint. */
export const LAG_LIMIT = 10_000;

export interface DomainFigures {
  count: number;
  lastType: string;
  /** Milliseconds since the epoch, 0 when unknown. */
  lastAtMs: number;
  /** Recording times (ms) of recent events, ascending; pruned to the last minute on read. */
  recent: number[];
}

interface Trail {
  domains: Set<string>;
  last: string;
}

const edgeKey = (from: string, to: string) => `${from}\u0000${to}`;

export class FlowObserver {
  private position = 0n;
  private readonly domains = new Map<string, DomainFigures>();
  private readonly trails = new Map<string, Trail>();
  private readonly edges = new Map<string, number>();
  constructor(private readonly maxCorrelations = DEFAULT_CORRELATIONS) {}

  /** Global position the figures are current to. */
  get head(): bigint {
    return this.position;
  }

  /** Takes one committed main-timeline event into account (in log order). */
  observe(event: StoredEvent): void {
    if (event.position > this.position) this.position = event.position;
    const figures = this.domains.get(event.domain) ?? { count: 0, lastType: "", lastAtMs: 0, recent: [] };
    figures.count++;
    figures.lastType = AnyPayload.nameOf(event.page.event);
    const at = event.page.createdAt ? timestampMs(event.page.createdAt) : 0;
    figures.lastAtMs = at;
    figures.recent.push(at);
    if (figures.recent.length > 4_096) figures.recent.splice(0, figures.recent.length - 4_096);
    this.domains.set(event.domain, figures);

    const id = event.correlationId;
    if (id === "") return;
    const trail = this.trails.get(id);
    if (trail === undefined) {
      this.trails.set(id, { domains: new Set([event.domain]), last: event.domain });
      if (this.trails.size > this.maxCorrelations) {
        const oldest = this.trails.keys().next().value;
        if (oldest !== undefined) this.trails.delete(oldest);
      }
      return;
    }
    if (!trail.domains.has(event.domain)) {
      trail.domains.add(event.domain);
      const key = edgeKey(trail.last, event.domain);
      this.edges.set(key, (this.edges.get(key) ?? 0) + 1);
    }
    trail.last = event.domain;
  }

  figures(domain: string, nowMs: number): DomainFigures & { lastMinute: number } {
    const f = this.domains.get(domain);
    if (f === undefined) return { count: 0, lastType: "", lastAtMs: 0, recent: [], lastMinute: 0 };
    const since = nowMs - MINUTE_MS;
    let drop = 0;
    while (drop < f.recent.length && (f.recent[drop] ?? 0) < since) drop++;
    if (drop > 0) f.recent.splice(0, drop);
    return { ...f, lastMinute: f.recent.length };
  }

  /** Observed steps between domains: [from, to, correlation ids that made it]. */
  flows(): [string, string, number][] {
    return [...this.edges.entries()].map(([key, count]) => {
      const [from = "", to = ""] = key.split("\u0000");
      return [from, to, count];
    });
  }
}

/**
 * Events of the checkpoint's timeline after its position, counted up to LAG_LIMIT, and the
 * position of the last of them (0n when none).
 */
export async function pendingAfter(
  events: EventStore,
  checkpoint: ConsumerCheckpoint,
  limit = LAG_LIMIT,
): Promise<{ count: number; lastPosition: bigint }> {
  const filter = {
    domain: checkpoint.domain,
    ...(checkpoint.edition === "*" ? {} : { edition: checkpoint.edition }),
  };
  const pending = await events.readAll(checkpoint.position, limit, filter);
  return { count: pending.length, lastPosition: pending.at(-1)?.position ?? 0n };
}

const nodeId = (c: Pick<ComponentInfo, "kind" | "name">) => `${c.kind}:${c.name}`;

/**
 * The graph: one node per component, `input` edges from the node writing a domain to each of its
 * consumers, `flow` edges between the nodes writing the domains a correlation id went through.
 * `lag` maps a consumer name to its pending events.
 */
export function topologyOf(
  components: ComponentInfo[],
  observer: FlowObserver,
  lag: Map<string, number>,
  nowMs: number,
): Topology {
  const writers = new Map<string, string>();
  for (const c of components) if (c.domain !== "") writers.set(c.domain, nodeId(c));

  const nodes: TopologyNode[] = components.map((c) => {
    const base = {
      id: nodeId(c),
      name: c.name,
      kind: c.kind,
      domain: c.domain,
      inputs: c.inputs,
      health: c.health,
    };
    if (c.kind === "aggregate" || c.kind === "process_manager" || c.inputs.length === 0) {
      const f = observer.figures(c.domain, nowMs);
      return create(TopologyNodeSchema, {
        ...base,
        eventCount: BigInt(f.count),
        lastEventType: f.lastType,
        ...(f.lastAtMs > 0 ? { lastEventAt: Timestamps.fromMillis(f.lastAtMs) } : {}),
        eventsLastMinute: f.lastMinute,
        lag: BigInt(lag.get(c.name) ?? 0),
      });
    }
    // A consumer: what its inputs hold, less what it has still to process.
    const inputs = c.inputs.map((d) => observer.figures(d, nowMs));
    const latest = inputs.reduce((a, b) => (b.lastAtMs > a.lastAtMs ? b : a));
    const pending = lag.get(c.name) ?? 0;
    const total = inputs.reduce((n, f) => n + f.count, 0);
    return create(TopologyNodeSchema, {
      ...base,
      eventCount: BigInt(Math.max(0, total - pending)),
      lastEventType: latest.lastType,
      ...(latest.lastAtMs > 0 ? { lastEventAt: Timestamps.fromMillis(latest.lastAtMs) } : {}),
      eventsLastMinute: inputs.reduce((n, f) => n + f.lastMinute, 0),
      lag: BigInt(pending),
    });
  });

  const edges = [];
  for (const c of components) {
    for (const domain of c.inputs) {
      const from = writers.get(domain);
      if (from !== undefined && from !== nodeId(c))
        edges.push(create(TopologyEdgeSchema, { from, to: nodeId(c), kind: "input", count: 0n }));
    }
  }
  for (const [fromDomain, toDomain, count] of observer.flows()) {
    const from = writers.get(fromDomain);
    const to = writers.get(toDomain);
    if (from !== undefined && to !== undefined && from !== to)
      edges.push(create(TopologyEdgeSchema, { from, to, kind: "flow", count: BigInt(count) }));
  }
  return create(TopologySchema, { nodes, edges, headPosition: observer.head });
}
