// Operations: parked cases (show, replay, discard), every consumer's checkpoint with its lag,
// projection rebuilds with progress (the checkpoints are polled while the rebuild runs), and the
// health of the runtime's services and components.
import type { DeadLetter } from "@angzarr/proto/gen/angzarr/ext/dead_letter_pb.ts";
import { CommandBookSchema, EventBookSchema } from "@angzarr/proto/gen/angzarr/types_pb.ts";
import { HealthCheckResponse_ServingStatus } from "@angzarr/proto/gen/health/v1/health_pb.ts";
import { fromBinary } from "@bufbuild/protobuf";
import { Fragment } from "preact";
import { useState } from "preact/hooks";
import { api, describeError } from "../api";
import { messageJson, uuidText } from "../registry";
import { Empty, ErrorNote, href, JsonView, Panel, timeText, useLoad } from "../ui";

function payloadJson(entry: DeadLetter) {
  try {
    if (entry.payloadType === EventBookSchema.typeName)
      return messageJson(EventBookSchema, fromBinary(EventBookSchema, entry.payload));
    if (entry.payloadType === CommandBookSchema.typeName)
      return messageJson(CommandBookSchema, fromBinary(CommandBookSchema, entry.payload));
  } catch (err) {
    return { undecodable: (err as Error).message };
  }
  return { payloadType: entry.payloadType, bytes: entry.payload.length };
}

function DeadLetters() {
  const [includeReplayed, setIncludeReplayed] = useState(false);
  const list = useLoad(() => api.deadLetters.list({ includeReplayed }), [includeReplayed], 3000);
  const [open, setOpen] = useState<bigint>();
  const [message, setMessage] = useState<string>();
  const act = async (what: "replay" | "discard", entry: DeadLetter) => {
    if (what === "discard" && !confirm(`Discard dead letter ${entry.id} for good?`)) return;
    try {
      if (what === "replay") await api.deadLetters.replay({ id: entry.id });
      else await api.deadLetters.discard({ id: entry.id });
      setMessage(`${what === "replay" ? "replayed" : "discarded"} ${entry.id}`);
    } catch (err) {
      setMessage(describeError(err));
    }
    list.reload();
  };
  const entries = list.data?.entries ?? [];
  return (
    <Panel
      title="Dead letters"
      actions={
        <label>
          <input
            type="checkbox"
            checked={includeReplayed}
            onChange={(e) => setIncludeReplayed(e.currentTarget.checked)}
          />{" "}
          include replayed
        </label>
      }
    >
      <ErrorNote error={list.error} />
      {message ? <p role="status">{message}</p> : null}
      {list.data && entries.length === 0 ? <Empty>Nothing parked.</Empty> : null}
      {entries.length > 0 ? (
        <table class="grid" data-testid="dead-letters">
          <thead>
            <tr>
              <th class="num">id</th>
              <th>consumer</th>
              <th>aggregate</th>
              <th>reason</th>
              <th>parked</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <Fragment key={String(e.id)}>
                <tr data-dead-letter={String(e.id)}>
                  <td class="num">{String(e.id)}</td>
                  <td>{e.consumer}</td>
                  <td>
                    <a href={href("aggregates", { domain: e.domain, root: uuidText(e.root) })}>
                      {e.domain} #{e.sequence}
                    </a>{" "}
                    <a href={href("flow", { id: e.correlationId })} class="muted">
                      flow
                    </a>
                  </td>
                  <td class="reason">{e.reason}</td>
                  <td>
                    {timeText(e.createdAt)}
                    {e.replayedAt ? <span class="badge">replayed</span> : null}
                  </td>
                  <td class="buttons">
                    <button
                      type="button"
                      aria-expanded={open === e.id}
                      onClick={() => setOpen(open === e.id ? undefined : e.id)}
                    >
                      Show
                    </button>
                    <button
                      type="button"
                      disabled={e.replayedAt !== undefined}
                      onClick={() => void act("replay", e)}
                    >
                      Replay
                    </button>
                    <button type="button" class="danger" onClick={() => void act("discard", e)}>
                      Discard
                    </button>
                  </td>
                </tr>
                {open === e.id ? (
                  <tr key={`${e.id}-payload`}>
                    <td colSpan={6}>
                      <p class="muted">{e.payloadType}</p>
                      <JsonView value={payloadJson(e)} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            ))}
          </tbody>
        </table>
      ) : null}
    </Panel>
  );
}

function Checkpoints({ highlight }: { highlight: string }) {
  const [rebuilding, setRebuilding] = useState<string>();
  const [message, setMessage] = useState<string>();
  const list = useLoad(() => api.projections.listCheckpoints({}), [], rebuilding ? 300 : 2000);
  const rebuild = async (projector: string) => {
    if (!confirm(`Rebuild ${projector}? Its checkpoint is reset and every event of its input replayed.`))
      return;
    setRebuilding(projector);
    setMessage(undefined);
    try {
      const r = await api.projections.rebuild({ projector });
      setMessage(`${projector}: rebuilt, ${r.replayedEvents} events replayed`);
    } catch (err) {
      setMessage(describeError(err));
    } finally {
      setRebuilding(undefined);
      list.reload();
    }
  };
  const rows = list.data?.checkpoints ?? [];
  return (
    <Panel title="Consumer checkpoints">
      <ErrorNote error={list.error} />
      {message ? <p role="status">{message}</p> : null}
      {rows.length > 0 ? (
        <table class="grid" data-testid="checkpoints">
          <thead>
            <tr>
              <th>consumer</th>
              <th>kind</th>
              <th>input</th>
              <th>timeline</th>
              <th class="num">position</th>
              <th>progress</th>
              <th class="num">lag</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => {
              // Caught up: done; behind: how far through the timeline's events it has come.
              const share =
                c.pending === 0n
                  ? 1
                  : c.lastPosition === 0n
                    ? 0
                    : Number(c.position) / Number(c.lastPosition);
              return (
                <tr
                  key={`${c.consumer}|${c.domain}|${c.edition}`}
                  class={c.consumer === highlight ? "highlight" : ""}
                  data-consumer={c.consumer}
                >
                  <td>{c.consumer}</td>
                  <td>{c.kind.replace("_", " ")}</td>
                  <td>{c.domain}</td>
                  <td>{c.edition === "" ? "main" : c.edition === "*" ? "all" : c.edition}</td>
                  <td class="num">{String(c.position)}</td>
                  <td>
                    <progress
                      max={1}
                      value={share}
                      aria-label={`${c.consumer} ${Math.round(share * 100)}% caught up`}
                    />
                  </td>
                  <td class="num">
                    {String(c.pending)}
                    {c.pendingCapped ? "+" : ""}
                  </td>
                  <td>
                    {c.kind === "projector" ? (
                      <button
                        type="button"
                        disabled={rebuilding !== undefined}
                        onClick={() => void rebuild(c.consumer)}
                      >
                        {rebuilding === c.consumer ? "Rebuilding…" : "Rebuild"}
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : list.data ? (
        <Empty>No async consumers.</Empty>
      ) : null}
    </Panel>
  );
}

function HealthPanel() {
  const services = useLoad(() => api.health.list({}), [], 5000);
  const topology = useLoad(() => api.inspect.getTopology({}), [], 5000);
  return (
    <Panel title="Health">
      <ErrorNote error={services.error ?? topology.error} />
      <div class="columns">
        <table class="grid" data-testid="services">
          <thead>
            <tr>
              <th>service</th>
              <th>status</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(services.data?.statuses ?? {}).map(([name, s]) => (
              <tr key={name}>
                <td>{name || "(server)"}</td>
                <td>
                  <span class={`badge status-${HealthCheckResponse_ServingStatus[s.status]}`}>
                    {HealthCheckResponse_ServingStatus[s.status]}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <table class="grid" data-testid="component-health">
          <thead>
            <tr>
              <th>component</th>
              <th>kind</th>
              <th>program</th>
            </tr>
          </thead>
          <tbody>
            {(topology.data?.nodes ?? []).map((n) => (
              <tr key={n.id}>
                <td>{n.name}</td>
                <td>{n.kind.replace("_", " ")}</td>
                <td>
                  <span class={`badge health-${n.health}`}>{n.health}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Panel>
  );
}

export function OperationsPage({ params }: { params: URLSearchParams }) {
  return (
    <>
      <DeadLetters />
      <Checkpoints highlight={params.get("consumer") ?? ""} />
      <HealthPanel />
    </>
  );
}
