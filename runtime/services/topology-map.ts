// The runtime's one topology builder: TopologyGraph follows the global log and feeds both views,
// the map served at `GET /topology` (below) and InspectionService.GetTopology (topology.ts, from
// the same graph's FlowObserver). The topology map (runtime.md §10) is built from the event store alone so that any gateway —
// standalone or one process among many — serves the same picture: the components come from the
// `_meta.topology` descriptor batches, the observed flows from its TopologyFlow pages, and the
// counts from every stored event. The builder follows the global log from where it stopped, so
// each request costs only the events recorded since the last one.
//
// JSON (`GET /topology`):
//   { "nodes": [Node...], "edges": [Edge...], "position": "<last global position read>" }
//   Node: { id, kind: aggregate|saga|process_manager|projector|domain, inputs: [{domain, eventTypes}],
//           events, lastEventType }
//     aggregate: `id` is its domain; `events` counts the events stored in it (every timeline).
//     saga / process_manager / projector: `id` is its program name; `events` counts the stored
//       events its inputs take (domain, and event types when it names some).
//     domain: a domain holding events that no aggregate owns (a PM's state, angzarr.saga-failures).
//   Edge: { from, to, via, correlationId }: events of domain `from` made component `via` write into
//     domain `to`; `correlationId` is the workflow it was first seen with.
import {
  AnyPayload,
  type ComponentDescriptor,
  ComponentDescriptorSchema,
  TopologyFlowSchema,
  TypeUrl,
} from "@angzarr/proto";
import { TOPOLOGY_DOMAIN } from "../coordinator/domains";
import { type Flow, flowKey, toFlow } from "../coordinator/topology-recorder";
import type { EventStore, StoredEvent } from "../storage/types";
import { FlowObserver } from "./topology";

export interface MapInput {
  domain: string;
  eventTypes: string[];
}

export interface MapNode {
  id: string;
  kind: "aggregate" | "saga" | "process_manager" | "projector" | "domain";
  inputs: MapInput[];
  events: number;
  lastEventType: string;
}

export interface MapEdge {
  from: string;
  to: string;
  via: string;
  correlationId: string;
}

export interface TopologyMap {
  nodes: MapNode[];
  edges: MapEdge[];
  position: string;
}

interface TypeStats {
  count: number;
  lastPosition: bigint;
}

const KINDS = new Set(["aggregate", "saga", "process_manager", "projector"]);
const BATCH = 5_000;

export class TopologyGraph {
  private position = 0n;
  /** domain → full type name → count and last position. */
  private readonly types = new Map<string, Map<string, TypeStats>>();
  /** publisher root (hex) → its latest descriptor batch. */
  private readonly batches = new Map<string, { correlationId: string; descriptors: ComponentDescriptor[] }>();
  private readonly flows = new Map<string, Flow>();
  private catching: Promise<void> | undefined;
  /** The live figures and inferred flows of the main timeline (InspectionService.GetTopology). */
  readonly observer = new FlowObserver();

  constructor(private readonly events: EventStore) {}

  /** Reads what was stored since the last call. Concurrent callers share one catch-up. */
  async refresh(): Promise<void> {
    this.catching ??= this.catchUp().finally(() => {
      this.catching = undefined;
    });
    await this.catching;
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      const batch = await this.events.readAll(this.position, BATCH);
      for (const event of batch) this.take(event);
      if (batch.length > 0) this.position = (batch.at(-1) as StoredEvent).position;
      if (batch.length < BATCH) return;
    }
  }

  private take(event: StoredEvent): void {
    if (event.edition === "") this.observer.observe(event);
    const any = event.page.event;
    if (event.domain === TOPOLOGY_DOMAIN) {
      if (AnyPayload.is(any, ComponentDescriptorSchema)) {
        const publisher = Buffer.from(event.root).toString("hex");
        const current = this.batches.get(publisher);
        const descriptor = AnyPayload.unpack(any, ComponentDescriptorSchema);
        if (current && current.correlationId === event.correlationId) current.descriptors.push(descriptor);
        else this.batches.set(publisher, { correlationId: event.correlationId, descriptors: [descriptor] });
      } else if (AnyPayload.is(any, TopologyFlowSchema)) {
        const flow = toFlow(AnyPayload.unpack(any, TopologyFlowSchema));
        if (!this.flows.has(flowKey(flow))) this.flows.set(flowKey(flow), flow);
      }
      return;
    }
    const type = TypeUrl.fullName(any?.typeUrl ?? "");
    let byType = this.types.get(event.domain);
    if (!byType) {
      byType = new Map();
      this.types.set(event.domain, byType);
    }
    const stats = byType.get(type) ?? { count: 0, lastPosition: 0n };
    stats.count++;
    stats.lastPosition = event.position;
    byType.set(type, stats);
  }

  /** Events taken by a set of inputs: their count and the type of the latest. */
  private tally(inputs: MapInput[]): { events: number; lastEventType: string } {
    let events = 0;
    let last = { position: -1n, type: "" };
    for (const input of inputs) {
      for (const [type, stats] of this.types.get(input.domain) ?? []) {
        const wanted =
          input.eventTypes.length === 0 || input.eventTypes.some((t) => TypeUrl.matchesEventType(t, type));
        if (!wanted) continue;
        events += stats.count;
        if (stats.lastPosition > last.position) last = { position: stats.lastPosition, type };
      }
    }
    return { events, lastEventType: last.type };
  }

  /** The graph as of what was read so far (call refresh() first for the latest). */
  snapshot(): TopologyMap {
    const components = new Map<string, ComponentDescriptor>();
    for (const { descriptors } of this.batches.values()) {
      for (const d of descriptors) if (KINDS.has(d.componentType)) components.set(d.name, d);
    }
    const nodes: MapNode[] = [];
    const owned = new Set<string>();
    for (const d of [...components.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      const kind = d.componentType as MapNode["kind"];
      const inputs = d.inputs.map((i) => ({ domain: i.domain, eventTypes: [...i.eventTypes] }));
      // An aggregate's input lists the commands it takes; its events are those of its domain.
      const counted = kind === "aggregate" ? [{ domain: d.name, eventTypes: [] }] : inputs;
      if (kind === "aggregate") owned.add(d.name);
      nodes.push({ id: d.name, kind, inputs, ...this.tally(counted) });
    }
    for (const domain of [...this.types.keys()].sort()) {
      if (owned.has(domain) || components.has(domain)) continue;
      nodes.push({ id: domain, kind: "domain", inputs: [], ...this.tally([{ domain, eventTypes: [] }]) });
    }
    const edges = [...this.flows.values()]
      .map((f) => ({ from: f.from, to: f.to, via: f.component, correlationId: f.correlationId }))
      .sort((a, b) => `${a.from} ${a.to} ${a.via}`.localeCompare(`${b.from} ${b.to} ${b.via}`));
    return { nodes, edges, position: String(this.position) };
  }
}

/** The graph as text, for the CLI. */
export function renderTopology(topology: TopologyMap): string {
  const lines = ["components"];
  const width = Math.max(8, ...topology.nodes.map((n) => n.id.length));
  for (const node of topology.nodes) {
    const inputs =
      node.kind === "aggregate" || node.inputs.length === 0
        ? ""
        : `  ← ${node.inputs.map((i) => i.domain).join(", ")}`;
    const last = node.lastEventType ? `, last ${node.lastEventType}` : "";
    lines.push(
      `  ${node.kind.padEnd(15)} ${node.id.padEnd(width)}  ${node.events} event${node.events === 1 ? "" : "s"}${last}${inputs}`,
    );
  }
  lines.push("flows");
  if (topology.edges.length === 0) lines.push("  (none seen yet)");
  for (const edge of topology.edges) {
    lines.push(
      `  ${edge.from} → ${edge.to}  via ${edge.via}  (first seen with correlation ${edge.correlationId})`,
    );
  }
  return lines.join("\n");
}
