// Topology: every component and the observed flows between them, laid out by dagre, refreshed
// every two seconds. A node opens its aggregate timeline (aggregates, process managers) or its
// checkpoints (sagas, projectors).
import type { Topology, TopologyNode } from "@angzarr/proto/gen/angzarr/ext/inspection_pb.ts";
import { Graph, layout } from "@dagrejs/dagre";
import { useMemo } from "preact/hooks";
import { api } from "../api";
import { shortName } from "../registry";
import { ArrowMarker, Empty, ErrorNote, navigate, Panel, timeText, useLoad } from "../ui";

const NODE_W = 216;
const NODE_H = 88;

interface Placed {
  node: TopologyNode;
  x: number;
  y: number;
}

interface Routed {
  from: string;
  to: string;
  kind: string;
  count: bigint;
  points: { x: number; y: number }[];
}

function place(topology: Topology): { nodes: Placed[]; edges: Routed[]; width: number; height: number } {
  const g = new Graph({ multigraph: true });
  g.setGraph({ rankdir: "LR", nodesep: 28, ranksep: 90, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of topology.nodes) g.setNode(node.id, { width: NODE_W, height: NODE_H });
  topology.edges.forEach((e, i) => {
    g.setEdge(e.from, e.to, { weight: e.kind === "input" ? 2 : 1, minlen: 1 }, `e${i}`);
  });
  layout(g);
  const nodes = topology.nodes.map((node) => {
    const n = g.node(node.id);
    return { node, x: (n?.x ?? 0) - NODE_W / 2, y: (n?.y ?? 0) - NODE_H / 2 };
  });
  const edges = topology.edges.map((e, i) => ({
    from: e.from,
    to: e.to,
    kind: e.kind,
    count: e.count,
    points: g.edge({ v: e.from, w: e.to, name: `e${i}` })?.points ?? [],
  }));
  const graph = g.graph();
  return { nodes, edges, width: graph.width ?? 400, height: graph.height ?? 200 };
}

function open(node: TopologyNode): void {
  if (node.kind === "aggregate" || node.kind === "process_manager")
    navigate("aggregates", { domain: node.domain });
  else navigate("operations", { consumer: node.name });
}

const isConsumer = (n: TopologyNode) => n.kind !== "aggregate";

function NodeBox({ placed }: { placed: Placed }) {
  const { node, x, y } = placed;
  const lines = [
    `${node.eventCount} events · ${node.eventsLastMinute}/min`,
    node.lastEventType ? `last: ${shortName(node.lastEventType)}` : "no events yet",
    isConsumer(node) ? `lag: ${node.lag}` : node.domain !== node.name ? `domain: ${node.domain}` : "",
  ];
  return (
    // biome-ignore lint/a11y/useSemanticElements: an SVG group cannot be a <button>; it takes focus and Enter/Space itself
    <g
      class={`node kind-${node.kind} health-${node.health}`}
      transform={`translate(${x},${y})`}
      tabindex={0}
      role="button"
      data-node={node.id}
      aria-label={`${node.kind} ${node.name}: ${lines.filter(Boolean).join(", ")}, ${node.health}`}
      onClick={() => open(node)}
      onKeyDown={(e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          open(node);
        }
      }}
    >
      <title>{`${node.kind} ${node.name}`}</title>
      <rect width={NODE_W} height={NODE_H} rx={8} />
      <circle class="health" cx={NODE_W - 14} cy={14} r={5} />
      <text x={10} y={20} class="name">
        {node.name}
      </text>
      <text x={10} y={36} class="kind">
        {node.kind.replace("_", " ")}
      </text>
      {lines.map((line, i) => (
        <text key={line} x={10} y={54 + i * 14} class="figure">
          {line}
        </text>
      ))}
    </g>
  );
}

function path(points: { x: number; y: number }[]): string {
  return points.map((p, i) => `${i === 0 ? "M" : "L"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
}

export function TopologyPage() {
  const loaded = useLoad(() => api.inspect.getTopology({}), [], 2000);
  const topology = loaded.data;
  const placed = useMemo(() => (topology ? place(topology) : undefined), [topology]);
  const flows = topology?.edges.filter((e) => e.kind === "flow").length ?? 0;
  const inputs = topology?.edges.filter((e) => e.kind === "input").length ?? 0;

  return (
    <>
      <ErrorNote error={loaded.error} />
      {topology && placed ? (
        <>
          <p class="summary" data-testid="topology-summary">
            <span data-count="nodes">{topology.nodes.length}</span> components ·{" "}
            <span data-count="inputs">{inputs}</span> subscriptions · <span data-count="flows">{flows}</span>{" "}
            observed flows · log position {String(topology.headPosition)}
          </p>
          <div class="graph-wrap">
            {/* biome-ignore lint/a11y/useSemanticElements: a group of focusable nodes, not a fieldset */}
            <svg
              class="graph"
              width={placed.width}
              height={placed.height}
              viewBox={`0 0 ${placed.width} ${placed.height}`}
              role="group"
              aria-label="Component graph"
            >
              <ArrowMarker id="arrow" />
              {placed.edges.map((e) => {
                const mid = e.points[Math.floor(e.points.length / 2)];
                return (
                  <g
                    key={`${e.kind}:${e.from}:${e.to}`}
                    class={`edge edge-${e.kind}`}
                    data-edge={`${e.from}->${e.to}`}
                  >
                    <path d={path(e.points)} marker-end="url(#arrow)" />
                    {e.kind === "flow" && mid ? (
                      <text x={mid.x} y={mid.y - 4} class="edge-label">
                        {String(e.count)}
                      </text>
                    ) : null}
                  </g>
                );
              })}
              {placed.nodes.map((p) => (
                <NodeBox key={p.node.id} placed={p} />
              ))}
            </svg>
          </div>
          <p class="legend">
            <span class="swatch input" /> subscribes (from descriptors) <span class="swatch flow" /> observed
            flow under one correlation id (label: how many) · Enter or click opens a node
          </p>
          <Panel title="Components">
            <table class="grid" data-testid="components">
              <thead>
                <tr>
                  <th>component</th>
                  <th>kind</th>
                  <th class="num">events</th>
                  <th class="num">last minute</th>
                  <th>last event</th>
                  <th>at</th>
                  <th class="num">lag</th>
                  <th>health</th>
                </tr>
              </thead>
              <tbody>
                {topology.nodes.map((n) => (
                  <tr key={n.id} data-row={n.id}>
                    <td>
                      <button type="button" class="link" onClick={() => open(n)}>
                        {n.name}
                      </button>
                    </td>
                    <td>{n.kind.replace("_", " ")}</td>
                    <td class="num">{String(n.eventCount)}</td>
                    <td class="num">{n.eventsLastMinute}</td>
                    <td>{shortName(n.lastEventType)}</td>
                    <td>{timeText(n.lastEventAt)}</td>
                    <td class="num">{isConsumer(n) ? String(n.lag) : ""}</td>
                    <td>
                      <span class={`badge health-${n.health}`}>{n.health}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Panel>
        </>
      ) : loaded.loading ? (
        <Empty>Loading…</Empty>
      ) : null}
    </>
  );
}
