// Editions: the list, creating one from a divergence point (only when asked), an aggregate on the
// main timeline and on an edition side by side with the differing events highlighted, and
// speculation: what a saga, process manager or projector would do with that aggregate's events,
// computed by the runtime with nothing written.
import type { EditionInfo } from "@angzarr/proto/gen/angzarr/edition_pb.ts";
import type { TopologyNode } from "@angzarr/proto/gen/angzarr/ext/inspection_pb.ts";
import { ProcessManagerHandleResponseSchema } from "@angzarr/proto/gen/angzarr/process_manager_pb.ts";
import {
  type EventBook,
  type EventPage,
  ProjectionSchema,
  type QuerySchema,
  SagaResponseSchema,
} from "@angzarr/proto/gen/angzarr/types_pb.ts";
import type { JsonValue, MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { useEffect, useState } from "preact/hooks";
import { api, describeError } from "../api";
import { decodeAny, messageJson, shortName, uuidBytes } from "../registry";
import { Empty, ErrorNote, JsonView, Panel, timeText, useLoad } from "../ui";

const seq = (p: EventPage) => (p.sequence.case === "num" ? p.sequence.value : -1);
const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined) =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);

function divergenceText(info: EditionInfo): string {
  const p = info.divergencePoint?.pointInTime;
  if (p?.case === "asOfSequence") return `sequence ${p.value}`;
  if (p?.case === "asOfTime") return `time ${timeText(p.value)}`;
  return "implicit";
}

function EditionList({ onPick }: { onPick: (name: string) => void }) {
  const list = useLoad(() => api.editions.listEditions({}), [], 5000);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [kind, setKind] = useState<"sequence" | "time">("sequence");
  const [point, setPoint] = useState("0");
  const [message, setMessage] = useState<string>();
  const create = async () => {
    try {
      const divergencePoint =
        kind === "sequence"
          ? { pointInTime: { case: "asOfSequence" as const, value: Number(point) } }
          : { pointInTime: { case: "asOfTime" as const, value: timestampFromMs(Date.parse(point)) } };
      const made = await api.editions.createEdition({ name, description, divergencePoint });
      setMessage(`created ${made.name} at ${made.createdAt}`);
      list.reload();
    } catch (err) {
      setMessage(describeError(err));
    }
  };
  return (
    <Panel title="Editions">
      <ErrorNote error={list.error} />
      {list.data && list.data.editions.length === 0 ? <Empty>No editions yet.</Empty> : null}
      {list.data && list.data.editions.length > 0 ? (
        <table class="grid" data-testid="editions">
          <thead>
            <tr>
              <th>name</th>
              <th>diverges at</th>
              <th>created</th>
              <th>description</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.data.editions.map((e) => (
              <tr key={e.name}>
                <td>{e.name}</td>
                <td>{divergenceText(e)}</td>
                <td>{e.createdAt}</td>
                <td>{e.description}</td>
                <td>
                  <button type="button" onClick={() => onPick(e.name)}>
                    Compare
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <label>
          New edition{" "}
          <input required value={name} onInput={(e) => setName(e.currentTarget.value)} size={14} />
        </label>
        <label>
          diverging at{" "}
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value as "sequence" | "time")}>
            <option value="sequence">sequence</option>
            <option value="time">time (ISO)</option>
          </select>
        </label>
        <input
          aria-label="Divergence point"
          value={point}
          onInput={(e) => setPoint(e.currentTarget.value)}
          size={20}
        />
        <input
          aria-label="Description"
          placeholder="description"
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
        <button type="submit">Create</button>
      </form>
      {message ? <p role="status">{message}</p> : null}
    </Panel>
  );
}

interface Compared {
  main: EventBook;
  edition: EventBook;
}

function DiffTable({ compared, editionName }: { compared: Compared; editionName: string }) {
  const bySeq = (book: EventBook) => new Map(book.pages.map((p) => [seq(p), p]));
  const main = bySeq(compared.main);
  const edition = bySeq(compared.edition);
  const all = [...new Set([...main.keys(), ...edition.keys()])].sort((a, b) => a - b);
  const cell = (p: EventPage | undefined) => {
    if (!p) return <td class="muted">—</td>;
    const { type, json } = decodeAny(p.event);
    return (
      <td>
        <details>
          <summary>
            <strong>{shortName(type)}</strong> <span class="muted">{timeText(p.createdAt)}</span>
          </summary>
          <JsonView value={json} />
        </details>
      </td>
    );
  };
  const differing = all.filter(
    (s) =>
      !sameBytes(main.get(s)?.event?.value, edition.get(s)?.event?.value) ||
      main.get(s)?.event?.typeUrl !== edition.get(s)?.event?.typeUrl,
  );
  return (
    <>
      <p class="summary" data-testid="diff-summary">
        <span data-count="differing">{differing.length}</span> of {all.length} positions differ between main
        and {editionName}
      </p>
      <table class="grid diff" data-testid="diff">
        <thead>
          <tr>
            <th class="num">#</th>
            <th>main</th>
            <th>{editionName}</th>
          </tr>
        </thead>
        <tbody>
          {all.map((s) => (
            <tr
              key={s}
              class={differing.includes(s) ? "differs" : ""}
              data-seq={s}
              data-differs={differing.includes(s) ? "yes" : "no"}
            >
              <td class="num">{s}</td>
              {cell(main.get(s))}
              {cell(edition.get(s))}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Speculation({ book, components }: { book: EventBook | undefined; components: TopologyNode[] }) {
  const [component, setComponent] = useState("");
  const [result, setResult] = useState<JsonValue>();
  const [error, setError] = useState<string>();
  const run = async () => {
    const node = components.find((c) => c.name === component);
    if (!node || !book) return;
    setError(undefined);
    setResult(undefined);
    try {
      if (node.kind === "saga") {
        const r = await api.speculate.speculateSaga({ sagaName: node.name, source: book });
        setResult(messageJson(SagaResponseSchema, r));
      } else if (node.kind === "process_manager") {
        const r = await api.speculate.speculateProcessManager({ pmName: node.name, trigger: book });
        setResult(messageJson(ProcessManagerHandleResponseSchema, r));
      } else {
        const r = await api.speculate.speculateProjector({ projectorName: node.name, events: book });
        setResult(messageJson(ProjectionSchema, r));
      }
    } catch (err) {
      setError(describeError(err));
    }
  };
  const relevant = components.filter(
    (c) => c.kind !== "aggregate" && (!book || c.inputs.includes(book.cover?.domain ?? "")),
  );
  return (
    <Panel title="Speculation">
      <p class="muted">
        Runs a component on the events shown (the edition's side) and shows what it would do. Nothing is
        written.
      </p>
      {!book ? <Empty>Compare an aggregate first.</Empty> : null}
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label>
          Component{" "}
          <select value={component} onChange={(e) => setComponent(e.currentTarget.value)}>
            <option value="">choose…</option>
            {relevant.map((c) => (
              <option key={c.id} value={c.name}>
                {c.name} ({c.kind.replace("_", " ")})
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={!book || component === ""}>
          Speculate
        </button>
      </form>
      <ErrorNote error={error} />
      {result !== undefined ? (
        <div data-testid="speculation-result">
          <JsonView value={result} />
        </div>
      ) : null}
    </Panel>
  );
}

export function EditionsPage({ params }: { params: URLSearchParams }) {
  const [edition, setEdition] = useState(params.get("edition") ?? "");
  const [domain, setDomain] = useState(params.get("domain") ?? "order");
  const [root, setRoot] = useState(params.get("root") ?? "");
  const [compared, setCompared] = useState<Compared>();
  const [error, setError] = useState<string>();
  const components = useLoad(() => api.inspect.getTopology({}).then((t) => t.nodes), []);
  // Opened with an edition and an aggregate (a link): compare at once; reading writes nothing.
  useEffect(() => {
    if (edition && root) void compare();
  }, []);

  const compare = async (name = edition) => {
    const bytes = uuidBytes(root);
    if (!bytes) return setError(`not a UUID: ${root}`);
    setError(undefined);
    const query = (editionName: string): MessageInitShape<typeof QuerySchema> => ({
      cover: { domain, root: { value: bytes }, ...(editionName ? { edition: { name: editionName } } : {}) },
    });
    try {
      const [main, other] = await Promise.all([
        api.query.getEventBook(query("")),
        api.query.getEventBook(query(name)),
      ]);
      setCompared({ main, edition: other });
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <>
      <EditionList
        onPick={(name) => {
          setEdition(name);
          void compare(name);
        }}
      />
      <Panel title="Side by side">
        <form
          class="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            void compare();
          }}
        >
          <label>
            Edition{" "}
            <input required value={edition} size={14} onInput={(e) => setEdition(e.currentTarget.value)} />
          </label>
          <label>
            Domain{" "}
            <input required value={domain} size={12} onInput={(e) => setDomain(e.currentTarget.value)} />
          </label>
          <label>
            Root <input required value={root} size={38} onInput={(e) => setRoot(e.currentTarget.value)} />
          </label>
          <button type="submit">Compare</button>
        </form>
        <ErrorNote error={error} />
        {compared ? (
          <DiffTable compared={compared} editionName={edition} />
        ) : (
          <Empty>Choose an edition and an aggregate.</Empty>
        )}
      </Panel>
      <Speculation book={compared?.edition} components={components.data ?? []} />
    </>
  );
}
