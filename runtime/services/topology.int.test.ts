// The topology over a real socket with synthetic components: every component described at start,
// the meta book published, flows recorded as they happen, counts kept current, the same graph for
// any reader of the store (another process), `GET /topology` JSON and the CLI's text.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { AnyPayload, CommandGateway, ComponentDescriptorSchema, type EventBook, Uuid } from "@angzarr/proto";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { TOPOLOGY_DOMAIN } from "../coordinator/domains";
import { TopologyRecorder } from "../coordinator/topology-recorder";
import {
  LEDGER,
  ledgerSaga,
  SOURCE,
  tallyProjector,
  WATCH,
  watchPm,
} from "../testing/fixtures/reactive-components";
import { text } from "./testing/clients";
import { echoAggregate } from "./testing/echo-aggregate";
import {
  aggregateEntry,
  command,
  reactiveDirectoryOf,
  startTestRuntime,
  type TestRuntime,
} from "./testing/harness";
import { TopologyGraph, type TopologyMap } from "./topology-map";

let rt: TestRuntime;
const metaBooks: EventBook[] = [];

beforeAll(async () => {
  rt = await startTestRuntime(
    [aggregateEntry(echoAggregate(SOURCE)), aggregateEntry(echoAggregate(LEDGER))],
    {
      reactive: reactiveDirectoryOf({
        sagas: [ledgerSaga],
        processManagers: [watchPm],
        projectors: [{ program: tallyProjector(":memory:") }],
      }),
      topology: "test-runtime",
    },
  );
});

afterAll(async () => {
  await rt.stop();
});

async function fetchTopology(): Promise<TopologyMap> {
  const response = await fetch(`${rt.url}/topology`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/json");
  return (await response.json()) as TopologyMap;
}

describe("topology", () => {
  test("components from their descriptors, before any event", async () => {
    const graph = await fetchTopology();
    expect(graph.nodes.map((n) => [n.id, n.kind])).toEqual([
      ["ledger", "aggregate"],
      ["pmg-watch", "process_manager"],
      ["projector-tally", "projector"],
      ["saga-src-ledger", "saga"],
      ["src", "aggregate"],
    ]);
    expect(graph.nodes.find((n) => n.id === "saga-src-ledger")?.inputs).toEqual([
      { domain: SOURCE, eventTypes: ["google.protobuf.StringValue"] },
    ]);
    expect(graph.edges).toEqual([]);
  });

  test("flows and counts follow the events, for any reader of the store", async () => {
    const gateway = createClient(CommandGateway, rt.connect());
    const root = Uuid.randomBytes();
    await gateway.execute(command(SOURCE, root, StringValueSchema, text("one"), 0, "topo-1"));
    await gateway.execute(command(SOURCE, root, StringValueSchema, text("two"), 1, "topo-1"));
    await rt.reactive?.settle();
    await rt.topology?.flushed();
    const graph = await fetchTopology();
    const node = (id: string) => graph.nodes.find((n) => n.id === id);
    expect(node(SOURCE)).toMatchObject({ events: 2, lastEventType: "google.protobuf.StringValue" });
    expect(node(LEDGER)?.events).toBe(4); // two from the saga, two from the PM
    expect(node("saga-src-ledger")).toMatchObject({
      events: 2,
      lastEventType: "google.protobuf.StringValue",
    });
    expect(node(WATCH)).toMatchObject({ kind: "domain", events: 2 });
    expect(graph.edges).toEqual([
      { from: SOURCE, to: LEDGER, via: "pmg-watch", correlationId: "topo-1" },
      { from: SOURCE, to: LEDGER, via: "saga-src-ledger", correlationId: "topo-1" },
      { from: SOURCE, to: WATCH, via: "pmg-watch", correlationId: "topo-1" },
    ]);
    // The recorded flows stay out of the workflow's own history.
    const workflow = await rt.storage.events.getByCorrelation("topo-1");
    expect(workflow.map((b) => b.cover?.domain)).not.toContain(TOPOLOGY_DOMAIN);
    // Another process reading the same store draws the same graph.
    const elsewhere = new TopologyGraph(rt.storage.events);
    await elsewhere.refresh();
    expect(elsewhere.snapshot()).toEqual(graph);
    // A second workflow adds counts, not edges: each flow is recorded once.
    await gateway.execute(command(SOURCE, Uuid.randomBytes(), StringValueSchema, text("three"), 0, "topo-2"));
    await rt.reactive?.settle();
    await rt.topology?.flushed();
    const later = await fetchTopology();
    expect(later.nodes.find((n) => n.id === SOURCE)?.events).toBe(3);
    expect(later.edges).toEqual(graph.edges);
  });

  test("a restart with the same components adds nothing; changed components replace the set", async () => {
    const stored = () => rt.storage.events.readAll(0n, 10_000, { domain: TOPOLOGY_DOMAIN });
    const before = (await stored()).length;
    rt.bus.subscribe("meta", { domain: TOPOLOGY_DOMAIN }, (book) => {
      metaBooks.push(book);
    });
    const again = new TopologyRecorder(rt.storage.events, rt.bus, "test-runtime");
    const original = (await stored())
      .filter((e) => AnyPayload.is(e.page.event, ComponentDescriptorSchema))
      .map((e) => AnyPayload.unpack(e.page.event, ComponentDescriptorSchema));
    await again.start(original);
    expect((await stored()).length).toBe(before);
    expect(metaBooks.at(-1)?.cover?.root).toBeUndefined();
    expect(metaBooks.at(-1)?.pages.map((p) => (p.sequence.case === "num" ? p.sequence.value : -1))).toEqual(
      original.map((_, i) => i),
    );
    // Without the projector: it leaves the graph.
    await again.start(original.filter((d) => d.name !== "projector-tally"));
    const changed = await fetchTopology();
    expect(changed.nodes.map((n) => n.id)).not.toContain("projector-tally");
    expect(changed.nodes.map((n) => n.id)).toContain("saga-src-ledger");
  });

  test("the CLI prints the graph as text, and the JSON with --json", async () => {
    const cli = join(import.meta.dir, "..", "cli", "main.ts");
    // Asynchronously: the admin listener answering it lives in this process.
    const run = async (args: string[]) => {
      const proc = Bun.spawn([process.execPath, cli, "topology", "--admin", rt.admin.url, ...args], {
        stdout: "pipe",
        stderr: "pipe",
      });
      const [stdout, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
      return { stdout, exitCode };
    };
    const textRun = await run([]);
    expect(textRun.exitCode).toBe(0);
    const out = textRun.stdout;
    expect(out).toContain("components");
    expect(out).toMatch(/aggregate\s+src\s+3 events, last google\.protobuf\.StringValue/);
    expect(out).toContain("src → ledger  via saga-src-ledger  (first seen with correlation topo-1)");
    const jsonRun = await run(["--json"]);
    expect(jsonRun.exitCode).toBe(0);
    const parsed = JSON.parse(jsonRun.stdout) as TopologyMap;
    expect(Object.keys(parsed)).toEqual(["nodes", "edges", "position"]);
  });
});
