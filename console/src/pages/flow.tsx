// Correlation flow: every event one correlation id caused, across domains, as a sequence diagram.
// Lanes are aggregates in order of first appearance; consecutive events of one aggregate form one
// step (one command's outcome); an arrow joins steps on different lanes, labelled with the time
// between them. Sagas and process managers that consume the source domain are listed per step.
// "Follow" keeps an EventStream subscription open and adds books as they are published.
import type { TopologyNode } from "@angzarr/proto/gen/angzarr/ext/inspection_pb.ts";
import type { EventBook } from "@angzarr/proto/gen/angzarr/types_pb.ts";
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, describeError } from "../api";
import { decodeAny, shortName, uuidText } from "../registry";
import {
  ArrowMarker,
  durationText,
  Empty,
  ErrorNote,
  href,
  JsonView,
  millis,
  navigate,
  Panel,
  shortId,
  timeText,
} from "../ui";

interface FlowEvent {
  lane: string;
  domain: string;
  edition: string;
  root: string;
  sequence: number;
  type: string;
  at: number;
  book: EventBook;
  index: number;
}

interface Step {
  lane: string;
  domain: string;
  root: string;
  events: FlowEvent[];
  at: number;
}

function flatten(books: EventBook[]): FlowEvent[] {
  const out: FlowEvent[] = [];
  const seen = new Set<string>();
  for (const book of books) {
    const domain = book.cover?.domain ?? "";
    const edition = book.cover?.edition?.name ?? "";
    const root = uuidText(book.cover?.root?.value);
    book.pages.forEach((page, index) => {
      const sequence = page.sequence.case === "num" ? page.sequence.value : -1;
      const key = `${domain}|${edition}|${root}|${sequence}`;
      if (seen.has(key)) return;
      seen.add(key);
      const lane = `${domain}${edition ? `@${edition}` : ""} ${shortId(root)}`;
      out.push({
        lane,
        domain,
        edition,
        root,
        sequence,
        type: decodeAny(page.event).type,
        at: millis(page.createdAt),
        book,
        index,
      });
    });
  }
  return out.sort((a, b) => a.at - b.at || (a.lane === b.lane ? a.sequence - b.sequence : 0));
}

function steps(events: FlowEvent[]): Step[] {
  const out: Step[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (last && last.lane === e.lane && e.at === last.events[last.events.length - 1]?.at) last.events.push(e);
    else out.push({ lane: e.lane, domain: e.domain, root: e.root, events: [e], at: e.at });
  }
  return out;
}

const LANE_W = 190;
const GUTTER = 64;
const ROW_H = 30;
const TOP = 46;

function Diagram({ lanes, steps: list }: { lanes: string[]; steps: Step[] }) {
  let row = 0;
  const rows = list.map((s) => {
    const r = row;
    row += s.events.length + 1;
    return r;
  });
  const height = TOP + row * ROW_H + 10;
  const width = GUTTER + Math.max(lanes.length * LANE_W, 300);
  const cx = (lane: string) => GUTTER + lanes.indexOf(lane) * LANE_W + LANE_W / 2;
  const start = list[0]?.at ?? 0;
  return (
    <div class="graph-wrap">
      <svg
        class="sequence"
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label="Sequence diagram"
      >
        <ArrowMarker id="seq-arrow" />
        {lanes.map((lane) => (
          <g key={lane} class="lane">
            <rect x={cx(lane) - LANE_W / 2 + 8} y={4} width={LANE_W - 16} height={28} rx={6} />
            <text x={cx(lane)} y={23} text-anchor="middle">
              {lane}
            </text>
            <line x1={cx(lane)} y1={32} x2={cx(lane)} y2={height} />
          </g>
        ))}
        {list.map((step, i) => {
          const y0 = TOP + (rows[i] ?? 0) * ROW_H;
          const prev = list[i - 1];
          const arrow =
            prev && prev.lane !== step.lane ? (
              <g class="call">
                <line
                  x1={cx(prev.lane)}
                  y1={y0 - ROW_H / 2}
                  x2={cx(step.lane)}
                  y2={y0 - ROW_H / 2}
                  marker-end="url(#seq-arrow)"
                />
                <text x={(cx(prev.lane) + cx(step.lane)) / 2} y={y0 - ROW_H / 2 - 4} text-anchor="middle">
                  {`+${durationText(step.at - prev.at)}`}
                </text>
              </g>
            ) : null;
          return (
            <g key={`${step.lane}-${i}`} data-step={i}>
              {arrow}
              {step.events.map((e, j) => (
                <g key={e.sequence} class="event">
                  <rect x={cx(step.lane) - 80} y={y0 + j * ROW_H} width={160} height={ROW_H - 6} rx={4} />
                  <text x={cx(step.lane)} y={y0 + j * ROW_H + 16} text-anchor="middle">
                    {`#${e.sequence} ${shortName(e.type)}`}
                  </text>
                </g>
              ))}
              <text x={4} y={y0 + 16} class="muted small">
                {`+${durationText(step.at - start)}`}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

export function FlowPage({ params }: { params: URLSearchParams }) {
  const id = params.get("id") ?? "";
  const [input, setInput] = useState(id);
  const [books, setBooks] = useState<EventBook[]>([]);
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);
  const [follow, setFollow] = useState(false);
  const [consumers, setConsumers] = useState<TopologyNode[]>([]);
  const [selected, setSelected] = useState<FlowEvent | undefined>(undefined);

  useEffect(() => setInput(id), [id]);
  useEffect(() => {
    api.inspect.getTopology({}).then(
      (t) => setConsumers(t.nodes.filter((n) => n.kind === "saga" || n.kind === "process_manager")),
      () => setConsumers([]),
    );
  }, []);

  useEffect(() => {
    if (id === "") return;
    const abort = new AbortController();
    setBooks([]);
    setError(undefined);
    setSelected(undefined);
    setLoading(true);
    (async () => {
      const found: EventBook[] = [];
      for await (const book of api.query.getEvents(
        { cover: { correlationId: id } },
        { signal: abort.signal },
      ))
        found.push(book);
      setBooks(found);
      setLoading(false);
      if (!follow) return;
      for await (const book of api.stream.subscribe({ correlationId: id }, { signal: abort.signal }))
        setBooks((old) => [...old, book]);
    })().catch((err) => {
      if (!abort.signal.aborted) {
        setError(describeError(err));
        setLoading(false);
      }
    });
    return () => abort.abort();
  }, [id, follow]);

  const events = useMemo(() => flatten(books), [books]);
  const list = useMemo(() => steps(events), [events]);
  const lanes = useMemo(() => [...new Set(events.map((e) => e.lane))], [events]);
  const reactors = useMemo(() => {
    const map = new Map<string, string[]>();
    for (const c of consumers) for (const d of c.inputs) map.set(d, [...(map.get(d) ?? []), c.name]);
    return map;
  }, [consumers]);
  const start = events[0]?.at ?? 0;
  const end = events[events.length - 1]?.at ?? 0;

  return (
    <>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          navigate("flow", { id: input.trim() });
        }}
      >
        <label>
          Correlation id{" "}
          <input
            type="search"
            size={44}
            value={input}
            onInput={(e) => setInput(e.currentTarget.value)}
            aria-label="Correlation id"
          />
        </label>
        <button type="submit">Show flow</button>
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} />{" "}
          follow live
        </label>
      </form>
      <ErrorNote error={error} />
      {id === "" ? <Empty>Enter a correlation id, or open one from an aggregate's timeline.</Empty> : null}
      {id !== "" && !loading && events.length === 0 && !error ? (
        <Empty>No events carry this correlation id.</Empty>
      ) : null}
      {events.length > 0 ? (
        <>
          <p class="summary" data-testid="flow-summary">
            <span data-count="events">{events.length}</span> events in{" "}
            <span data-count="steps">{list.length}</span> steps across{" "}
            <span data-count="lanes">{lanes.length}</span> aggregates (
            {[...new Set(events.map((e) => e.domain))].join(", ")}) over {durationText(end - start)}
          </p>
          <Diagram lanes={lanes} steps={list} />
          <div class="columns">
            <Panel title="Steps">
              <table class="grid" data-testid="flow-steps">
                <thead>
                  <tr>
                    <th class="num">step</th>
                    <th class="num">at</th>
                    <th class="num">Δ</th>
                    <th>aggregate</th>
                    <th>events</th>
                    <th>consumers of the domain</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((s, i) => (
                    <tr key={`${s.lane}-${s.at}-${i}`} data-step-row={i}>
                      <td class="num">{i + 1}</td>
                      <td class="num">+{durationText(s.at - start)}</td>
                      <td class="num">{i > 0 ? `+${durationText(s.at - (list[i - 1]?.at ?? s.at))}` : ""}</td>
                      <td>
                        <a href={href("aggregates", { domain: s.domain, root: s.root })}>{s.lane}</a>
                      </td>
                      <td>
                        {s.events.map((e) => (
                          <button type="button" class="link" key={e.sequence} onClick={() => setSelected(e)}>
                            #{e.sequence} {shortName(e.type)}
                          </button>
                        ))}
                      </td>
                      <td class="muted">{(reactors.get(s.domain) ?? []).join(", ")}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Panel>
            <Panel title={selected ? `#${selected.sequence} ${shortName(selected.type)}` : "Event"}>
              {selected ? (
                <>
                  <p class="muted">
                    {selected.domain} {selected.root} ·{" "}
                    {timeText(selected.book.pages[selected.index]?.createdAt)}
                  </p>
                  <JsonView value={decodeAny(selected.book.pages[selected.index]?.event).json} />
                </>
              ) : (
                <Empty>Choose an event.</Empty>
              )}
            </Panel>
          </div>
        </>
      ) : null}
    </>
  );
}
