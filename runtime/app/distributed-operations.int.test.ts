// Distributed mode, operated: traces, metrics and the admin role.
//
// Tracing on: every role its own process (launchDistributed) over PostgreSQL (a
// fresh schema) and RabbitMQ (a fresh prefix), synthetic programs. One lifecycle started by a
// client command with a W3C traceparent is one trace: gateway role → aggregate role → its program
// → store → bus message (which carries the traceparent) → saga, PM and projector roles → their
// programs → the commands they send (through the outbox, which keeps the trace context) → the
// ledger's aggregate role → its program. Every span's parent is in the trace, across 11 processes.
// The consumers poll rarely here: they take each book when its bus message wakes them (a poll that
// finds a book before its message continues the trace stored with its pages:
// runtime/observability/trace-links.int.test.ts).
//
// The admin role serves the console, /metrics and the services the console reads over the whole
// deployment: topology with each role's health, the aggregate browser and correlation flows from
// the shared store, checkpoints from the reactive roles, a dead letter replayed by its consumer's
// role, a projection rebuilt by its projector's role, editions. Each reactive role's /metrics
// carries its consumer's lag and dead letters.
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  DeadLetterService,
  EditionService,
  EventBookSchema,
  EventQuery,
  InspectionService,
  ProjectionService,
} from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { SQL } from "bun";
import { openStorage } from "../storage/open";
import { removeBrokerObjects } from "../testing/broker";
import { LEDGER, SOURCE, WATCH } from "../testing/fixtures/reactive-components";
import { gatewayTransport, runLifecycle } from "../testing/lifecycle";
import { type CollectedSpan, startOtlpReceiver } from "../testing/otlp-receiver";
import { removeDir, tempDir, waitFor } from "../testing/processes";
import { syntheticConfig } from "../testing/running-runtime";
import { launchDistributed, type Topology } from "./distributed";

const id = Math.random().toString(36).slice(2, 8);
const schema = `trace_${id}`;
const prefix = `trace-${id}`;
const pgUrl = process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const amqpUrl = process.env.ANGZARR_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

let receiver: ReturnType<typeof startOtlpReceiver>;
let topology: Topology | undefined;
let dir: string;

beforeAll(async () => {
  receiver = startOtlpReceiver();
  dir = tempDir("az-trace-dist-");
  const config = `${dir}/distributed.yaml`;
  const yaml = syntheticConfig({ storage: `{ backend: postgres, schema: ${schema} }` });
  if (!yaml.includes("pollMs: 100"))
    throw new Error("the synthetic config changed: adjust the poll override");
  await Bun.write(config, yaml.replace("pollMs: 100", "pollMs: 60000"));
  topology = await launchDistributed({
    port: 0,
    adminPort: 0,
    data: dir,
    config,
    print: () => {},
    logs: "ignore",
    startTimeoutMs: 120_000,
    env: {
      ANGZARR_PG_URL: pgUrl,
      ANGZARR_PG_SCHEMA: schema,
      ANGZARR_AMQP_URL: amqpUrl,
      ANGZARR_BUS_PREFIX: prefix,
      ANGZARR_LOG: "error",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: "100",
    },
  });
}, 180_000);

afterAll(async () => {
  await topology?.stop();
  await receiver?.stop();
  const sql = new SQL(pgUrl);
  await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await sql.close();
  await removeBrokerObjects(amqpUrl, prefix);
  if (dir) removeDir(dir);
}, 60_000);

test("one lifecycle is one trace across the gateway, aggregate, saga, PM and projector roles and their programs", async () => {
  const traceId = crypto.randomUUID().replace(/-/g, "");
  const clientSpan = crypto.randomUUID().replace(/-/g, "").slice(0, 16);
  await runLifecycle(topology?.gatewayUrl ?? "", {
    headers: { traceparent: `00-${traceId}-${clientSpan}-01` },
  });
  const mine = (): CollectedSpan[] => receiver.spans.filter((s) => s.traceId === traceId);
  const roles = [
    "angzarr-gateway",
    "angzarr-aggregate-src",
    "angzarr-aggregate-ledger",
    "angzarr-saga-saga-src-ledger",
    "angzarr-pm-pmg-watch",
    "angzarr-projector-projector-tally",
  ];
  const programs = ["agg-src", "agg-ledger", "saga-src-ledger", "pmg-watch", "projector-tally"];
  const consumers = ["saga-src-ledger", "pmg-watch", "projector-tally"];
  // Children are exported before their parents: wait for the tree to be whole, then check it.
  const complete = () => {
    const all = mine();
    const known = new Set([clientSpan, ...all.map((s) => s.spanId)]);
    return (
      [...roles, ...programs].every((service) => all.some((s) => s.service === service)) &&
      consumers.every((c) => all.some((s) => s.name === `consume ${c}`)) &&
      all.filter((s) => s.service === "agg-ledger").length >= 2 &&
      all.every((s) => known.has(s.parentId))
    );
  };
  await waitFor("the whole trace", complete, 60_000).catch(() => undefined);
  const spans = mine();
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const parentService = (s: CollectedSpan | undefined) => byId.get(s?.parentId ?? "")?.service;
  // One tree: every span's parent is the client's or another span of the trace.
  const ids = new Set([clientSpan, ...spans.map((s) => s.spanId)]);
  expect(spans.filter((s) => !ids.has(s.parentId))).toEqual([]);
  for (const service of [...roles, ...programs]) expect(spans.some((s) => s.service === service)).toBe(true);

  const gatewayServer = spans.find((s) => s.service === "angzarr-gateway" && s.parentId === clientSpan);
  expect(gatewayServer?.name).toBe("angzarr.CommandGateway/Execute");
  // The source aggregate role's server span hangs off a gateway span; its program's off the role's.
  expect(
    spans.some((s) => s.service === "angzarr-aggregate-src" && parentService(s) === "angzarr-gateway"),
  ).toBe(true);
  const srcProgram = spans.find((s) => s.service === "agg-src" && s.name === "angzarr.Aggregate/Handle");
  expect(parentService(srcProgram)).toBe("angzarr-aggregate-src");
  // The role's server span is the command's span (the pipeline takes it over): it carries the
  // angzarr attributes and the range it stored (the append and the publish are not spans).
  const srcCommand = byId.get(srcProgram?.parentId ?? "");
  expect(srcCommand?.attributes).toMatchObject({ "angzarr.domain": "src", "angzarr.sequence.first": "0" });

  // Each reactive role continues the trace of the bus message that woke it: its consume span's
  // parent is the span of another process that stored and published the book (an aggregate
  // role's command span: its traceparent travels in the message's headers).
  for (const [role, consumer] of [
    ["angzarr-saga-saga-src-ledger", "saga-src-ledger"],
    ["angzarr-pm-pmg-watch", "pmg-watch"],
    ["angzarr-projector-projector-tally", "projector-tally"],
  ] as const) {
    const consume = spans.filter((s) => s.service === role && s.name === `consume ${consumer}`);
    expect(consume.length).toBeGreaterThan(0);
    for (const span of consume) {
      const parent = byId.get(span.parentId);
      expect(parent?.service).toStartWith("angzarr-aggregate-");
      expect(parent?.attributes["angzarr.sequence.first"]).toMatch(/^\d+$/);
    }
    // The role's program answers inside the trace, its span a child of the role's consume span.
    const program = spans.filter((s) => s.service === consumer);
    expect(program.length).toBeGreaterThan(0);
    for (const span of program) expect(parentService(span)).toBe(role);
  }
  // The saga's and the PM's commands reach the ledger's aggregate role in the same trace: its
  // server spans hang off the saga role's and the PM role's client spans.
  const ledgerCallers = new Set(
    spans.filter((s) => s.service === "angzarr-aggregate-ledger").map((s) => parentService(s)),
  );
  expect(ledgerCallers).toContain("angzarr-saga-saga-src-ledger");
  expect(ledgerCallers).toContain("angzarr-pm-pmg-watch");
  const ledgerPrograms = spans.filter(
    (s) => s.service === "agg-ledger" && s.name === "angzarr.Aggregate/Handle",
  );
  expect(ledgerPrograms.length).toBeGreaterThanOrEqual(2);
  for (const span of ledgerPrograms) expect(parentService(span)).toBe("angzarr-aggregate-ledger");

  // Each role serves its own metrics on its port.
  const role = topology?.processes.find((p) => p.role === "aggregate src");
  const metrics = await (await fetch(`${role?.url}/metrics`)).text();
  expect(metrics).toMatch(/^angzarr_commands_total\{domain="src",code="OK"[^}]*\} 1$/m);
  expect(metrics).toMatch(/^angzarr_events_appended_total\{domain="src"[^}]*\} 1$/m);
}, 150_000);

test("the admin role serves the console, its metrics and the operator services over the whole deployment", async () => {
  const admin = topology?.adminUrl ?? "";
  const life = await runLifecycle(topology?.gatewayUrl ?? "");
  const transport = gatewayTransport(admin);

  // The console page (no CDN: its one script is served here too).
  const page = await fetch(`${admin}/console`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain("<script");
  expect(await (await fetch(`${admin}/metrics`)).text()).toContain("# HELP");

  // Aggregate browser: the ledger's timeline, read through the admin listener.
  const query = createClient(EventQuery, transport);
  const ledger = await query.getEventBook({ cover: { domain: LEDGER, root: { value: life.root } } });
  expect(ledger.pages.length).toBe(life.ledger.pages.length);
  // Correlation flow: every book of the workflow, across domains.
  const domains = new Set<string>();
  for await (const book of query.getEvents({ cover: { correlationId: life.correlationId } }))
    domains.add(book.cover?.domain ?? "");
  expect([...domains]).toEqual(expect.arrayContaining([SOURCE, LEDGER, WATCH]));

  // Checkpoints come from the reactive roles; wait until each has passed the lifecycle.
  const projections = createClient(ProjectionService, transport);
  const consumers = ["saga-src-ledger", "pmg-watch", "projector-tally"];
  await waitFor(
    "every consumer caught up",
    async () => {
      const { checkpoints } = await projections.listCheckpoints({ consumer: "" });
      return consumers.every((c) =>
        checkpoints.some((cp) => cp.consumer === c && cp.position > 0n && cp.pending === 0n),
      );
    },
    30_000,
  );

  // Topology: every configured component with its role's health, the observed flow src → ledger.
  const graph = await createClient(InspectionService, transport).getTopology({});
  const ids = graph.nodes.map((n) => n.id);
  expect(ids).toEqual(
    expect.arrayContaining([
      `aggregate:${SOURCE}`,
      `aggregate:${LEDGER}`,
      "saga:saga-src-ledger",
      "process_manager:pmg-watch",
      "projector:projector-tally",
    ]),
  );
  for (const node of graph.nodes.filter((n) => n.kind !== "domain")) expect(node.health).toBe("ready");
  expect(graph.nodes.find((n) => n.id === "saga:saga-src-ledger")?.inputs).toEqual([SOURCE]);
  // Observed flows (inferred from the workflow's order in the log): out of src, into the ledger.
  const flows = graph.edges.filter((e) => e.kind === "flow");
  expect(flows.some((e) => e.from === `aggregate:${SOURCE}`)).toBe(true);
  expect(flows.some((e) => e.to === `aggregate:${LEDGER}`)).toBe(true);

  // Dead letters: a parked case of the projector, replayed by the projector's role.
  const store = await openStorage({ backend: "postgres", url: pgUrl, schema });
  try {
    const [first] = (await query.getEventBook({ cover: { domain: SOURCE, root: { value: life.root } } }))
      .pages;
    await store.deadLetters.add({
      consumer: "projector-tally",
      domain: SOURCE,
      edition: "",
      root: life.root,
      sequence: 0,
      correlationId: life.correlationId,
      reason: "seeded by the admin-role test",
      payloadType: EventBookSchema.typeName,
      payload: toBinary(
        EventBookSchema,
        create(EventBookSchema, {
          cover: { domain: SOURCE, root: { value: life.root }, correlationId: life.correlationId },
          pages: first ? [first] : [],
        }),
      ),
    });
  } finally {
    await store.close();
  }
  const dlq = createClient(DeadLetterService, transport);
  const [parked] = (await dlq.list({ includeReplayed: false, consumer: "projector-tally" })).entries;
  expect(parked?.reason).toBe("seeded by the admin-role test");
  const replayed = await dlq.replay({ id: parked?.id ?? 0n });
  expect(replayed.entry?.replayedAt).toBeDefined();
  // The projector role's /metrics: its consumer's lag and dead letters (none left open).
  const projectorRole = topology?.processes.find((p) => p.role === "projector projector-tally");
  const roleMetrics = await (await fetch(`${projectorRole?.url}/metrics`)).text();
  expect(roleMetrics).toMatch(/^angzarr_consumer_lag_events\{consumer="projector-tally"[^}]*\} \d+$/m);
  expect(roleMetrics).toMatch(/^angzarr_consumer_lag_seconds\{consumer="projector-tally"[^}]*\} [\d.e+-]+$/m);
  expect(roleMetrics).toMatch(/^angzarr_dlq_entries\{consumer="projector-tally"[^}]*\} 0$/m);
  // Only its own consumer: the saga's figures are the saga role's.
  expect(roleMetrics).not.toContain('consumer="saga-src-ledger"');
  const sagaRole = topology?.processes.find((p) => p.role === "saga saga-src-ledger");
  expect(await (await fetch(`${sagaRole?.url}/metrics`)).text()).toMatch(
    /^angzarr_consumer_lag_events\{consumer="saga-src-ledger"[^}]*\} \d+$/m,
  );

  // Projection rebuild, done by the projector's role: it replays the events its input holds.
  const rebuilt = await projections.rebuild({ projector: "projector-tally" });
  expect(rebuilt.replayedEvents).toBeGreaterThan(0n);
  await expect(projections.rebuild({ projector: "saga-src-ledger" })).rejects.toThrow(/no projector role/);

  // Editions: created and listed through the admin listener.
  const editions = createClient(EditionService, transport);
  await editions.createEdition({ name: `what-if-${id}`, description: "from the admin role" });
  expect((await editions.listEditions({})).editions.map((e) => e.name)).toContain(`what-if-${id}`);
}, 150_000);
