// Aggregate browser: domains → roots (searchable) → the event timeline, each event decoded, the
// stored snapshot marked, each event's correlation id opening its flow, an as-of slider (by sequence or by time, asked of EventQuery) showing
// the state at that point, and new events appended while they arrive.
import type { EventBook, EventPage } from "@angzarr/proto/gen/angzarr/types_pb.ts";
import type { JsonValue } from "@bufbuild/protobuf";
import { useEffect, useMemo, useState } from "preact/hooks";
import { api } from "../api";
import { decodeAny, shortName, uuidBytes, uuidText } from "../registry";
import { Empty, ErrorNote, href, JsonView, navigate, Panel, timeText, useLoad } from "../ui";

const seq = (p: EventPage) => (p.sequence.case === "num" ? p.sequence.value : -1);

async function listRoots(): Promise<Map<string, string[]>> {
  const byDomain = new Map<string, string[]>();
  for await (const r of api.query.getAggregateRoots({})) {
    // The timelines here are the main one's; edition roots come with their edition (ext field).
    if (r.edition !== "") continue;
    const list = byDomain.get(r.domain) ?? [];
    list.push(uuidText(r.root?.value));
    byDomain.set(r.domain, list);
  }
  return new Map([...byDomain.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/** The fields each event set, latest last: what the events say the aggregate is at that point. */
function fold(pages: EventPage[]): { state: { [k: string]: JsonValue }; setBy: Map<string, number> } {
  const state: { [k: string]: JsonValue } = {};
  const setBy = new Map<string, number>();
  for (const page of pages) {
    const { json } = decodeAny(page.event);
    if (json === null || typeof json !== "object" || Array.isArray(json)) continue;
    for (const [k, v] of Object.entries(json)) {
      state[k] = v;
      setBy.set(k, seq(page));
    }
  }
  return { state, setBy };
}

function Timeline({ domain, root }: { domain: string; root: string }) {
  const rootBytes = uuidBytes(root);
  const cover = { domain, root: { value: rootBytes ?? new Uint8Array() } };
  const [pages, setPages] = useState<EventPage[]>([]);
  const [error, setError] = useState<string>();
  const [live, setLive] = useState(true);
  const [point, setPoint] = useState<number | undefined>(undefined);
  const [mode, setMode] = useState<"sequence" | "time">("sequence");
  const [asOf, setAsOf] = useState<EventBook | undefined>(undefined);
  const described = useLoad(() => api.inspect.describeAggregate({ cover }), [domain, root], live ? 3000 : 0);

  // Full history once, then only what follows the last page (live updates by polling).
  useEffect(() => {
    let stopped = false;
    let last = -1;
    setPages([]);
    setPoint(undefined);
    const poll = async () => {
      try {
        const book = await api.query.getEventBook({
          cover,
          selection: { case: "range", value: { lower: last + 1 } },
        });
        if (stopped || book.pages.length === 0) return;
        last = seq(book.pages[book.pages.length - 1] as EventPage);
        setPages((old) => [...old, ...book.pages]);
        setError(undefined);
      } catch (err) {
        if (!stopped) setError(String((err as Error).message));
      }
    };
    void poll();
    const timer = live ? setInterval(poll, 1500) : undefined;
    return () => {
      stopped = true;
      if (timer) clearInterval(timer);
    };
  }, [domain, root, live]);

  const index = point ?? pages.length - 1;
  const at = pages[index];

  // The state at the slider's point, asked of EventQuery with a temporal selection.
  useEffect(() => {
    if (!at) return setAsOf(undefined);
    let stale = false;
    const temporal =
      mode === "sequence"
        ? { pointInTime: { case: "asOfSequence" as const, value: seq(at) } }
        : { pointInTime: { case: "asOfTime" as const, value: at.createdAt! } };
    api.query.getEventBook({ cover, selection: { case: "temporal", value: temporal } }).then(
      (book) => !stale && setAsOf(book),
      (err) => !stale && setError(String(err)),
    );
    return () => {
      stale = true;
    };
  }, [domain, root, index, mode, at]);

  const folded = useMemo(() => fold(asOf?.pages ?? []), [asOf]);
  const snap = described.data?.snapshot;
  const correlationOf = new Map(
    (described.data?.correlations ?? []).map((c) => [c.sequence, c.correlationId]),
  );
  if (!rootBytes) return <ErrorNote error={`not a UUID: ${root}`} />;

  return (
    <>
      <Panel
        title={`${domain} ${root}`}
        actions={
          <label>
            <input type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} /> live
          </label>
        }
      >
        <ErrorNote error={error} />
        {pages.length === 0 ? (
          <Empty>No events.</Empty>
        ) : (
          <div class="asof">
            <label for="asof-slider">
              As of{" "}
              <select value={mode} onChange={(e) => setMode(e.currentTarget.value as "sequence" | "time")}>
                <option value="sequence">sequence</option>
                <option value="time">time</option>
              </select>
            </label>
            <input
              id="asof-slider"
              type="range"
              min={0}
              max={pages.length - 1}
              value={index}
              aria-valuetext={`#${at ? seq(at) : ""} ${at ? timeText(at.createdAt) : ""}`}
              onInput={(e) => setPoint(Number(e.currentTarget.value))}
            />
            <output data-testid="asof-point">
              #{at ? seq(at) : ""} · {at ? timeText(at.createdAt) : ""} · {asOf?.pages.length ?? "…"} events
            </output>
          </div>
        )}
      </Panel>
      <div class="columns">
        <Panel title="Event timeline">
          <ol class="timeline" data-testid="timeline">
            {pages.map((page, i) => {
              const { type, json } = decodeAny(page.event);
              const s = seq(page);
              return (
                <li key={s} class={i > index ? "after" : ""} data-seq={s} data-type={shortName(type)}>
                  <details>
                    <summary>
                      <span class="seq">#{s}</span> <strong>{shortName(type)}</strong>{" "}
                      <span class="muted">{timeText(page.createdAt)}</span>
                      {snap && snap.sequence === s ? <span class="badge snapshot">snapshot</span> : null}
                    </summary>
                    {correlationOf.get(s) ? (
                      <p>
                        correlation{" "}
                        <a href={href("flow", { id: correlationOf.get(s) ?? "" })} data-flow-link>
                          {correlationOf.get(s)}
                        </a>
                      </p>
                    ) : null}
                    <p class="muted">{type}</p>
                    <JsonView value={json} />
                  </details>
                </li>
              );
            })}
          </ol>
        </Panel>
        <Panel title={at ? `State as of #${seq(at)}` : "State"}>
          <p class="muted">
            Each field as last set by the events up to this point (the event that set it in brackets).
          </p>
          <table class="grid state" data-testid="state">
            <tbody>
              {Object.entries(folded.state).map(([k, v]) => (
                <tr key={k}>
                  <th>{k}</th>
                  <td>
                    <code>{typeof v === "string" ? v : JSON.stringify(v)}</code>{" "}
                    <span class="muted">[#{folded.setBy.get(k)}]</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {snap ? (
            <>
              <h3>Stored snapshot at #{snap.sequence}</h3>
              <p class="muted">{decodeAny(snap.state).type}</p>
              <JsonView value={decodeAny(snap.state).json} />
            </>
          ) : null}
        </Panel>
      </div>
    </>
  );
}

export function AggregatesPage({ params }: { params: URLSearchParams }) {
  const domain = params.get("domain") ?? "";
  const root = params.get("root") ?? "";
  const [search, setSearch] = useState("");
  const roots = useLoad(listRoots, [], 5000);
  const domains = [...(roots.data?.keys() ?? [])];
  const matching = (roots.data?.get(domain) ?? []).filter((r) => r.includes(search.trim().toLowerCase()));

  return (
    <div class="browser">
      <nav class="panel list" aria-label="Domains">
        <h2>Domains</h2>
        <ErrorNote error={roots.error} />
        <ul data-testid="domains">
          {domains.map((d) => (
            <li key={d}>
              <a href={href("aggregates", { domain: d })} aria-current={d === domain ? "true" : undefined}>
                {d} <span class="muted">({roots.data?.get(d)?.length})</span>
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <nav class="panel list" aria-label="Roots">
        <h2>Roots</h2>
        <input
          type="search"
          placeholder="search by id"
          aria-label="Search roots by id"
          value={search}
          onInput={(e) => setSearch(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && matching[0]) navigate("aggregates", { domain, root: matching[0] });
          }}
        />
        {domain === "" ? <Empty>Choose a domain.</Empty> : null}
        <ul data-testid="roots">
          {matching.slice(0, 200).map((r) => (
            <li key={r}>
              <a
                href={href("aggregates", { domain, root: r })}
                aria-current={r === root ? "true" : undefined}
              >
                <code>{r}</code>
              </a>
            </li>
          ))}
        </ul>
        {matching.length > 200 ? <p class="muted">{matching.length - 200} more: refine the search</p> : null}
      </nav>
      <div class="detail">
        {domain && root ? <Timeline domain={domain} root={root} /> : <Empty>Choose an aggregate.</Empty>}
      </div>
    </div>
  );
}
