import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  AnyPayload,
  Covers,
  DeadLetterService,
  InspectionService,
  ProjectionService,
  Uuid,
} from "@angzarr/proto";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { numbered, payload, ref, root } from "../storage/contract/fixtures";
import type { ComponentInfo, ConsumerCheckpoint } from "./deps";
import { startTestRuntime, type TestRuntime } from "./testing/harness";

// Synthetic system: aggregates `a` and `b`, a saga reading `a`, a projector reading `b`; one
// correlation id went a → b twice (two workflows), another stayed in `a`.
describe("inspection: topology, snapshots, checkpoints, dead-letter discard", () => {
  let rt: TestRuntime;
  const checkpoints: ConsumerCheckpoint[] = [];
  const components: ComponentInfo[] = [
    { name: "a", kind: "aggregate", domain: "a", inputs: [], health: "ready" },
    { name: "b", kind: "aggregate", domain: "b", inputs: [], health: "down" },
    { name: "saga-a-b", kind: "saga", domain: "", inputs: ["a"], health: "ready" },
    { name: "projector-b", kind: "projector", domain: "", inputs: ["b"], health: "ready" },
  ];

  beforeAll(async () => {
    rt = await startTestRuntime([], {
      catalog: { components: async () => components, checkpoints: async () => checkpoints },
    });
    const events = rt.storage.events;
    await events.append(ref("a", 1), numbered(0, "a1", "a2"), { correlationId: "flow-1" });
    await events.append(ref("b", 1), numbered(0, "b1"), { correlationId: "flow-1" });
    await events.append(ref("a", 2), numbered(0, "a3"), { correlationId: "flow-2" });
    await events.append(
      ref("b", 2),
      [{ ...numbered(0, "b2")[0]!, event: payload("b2", "type.test/test.Shipped") }],
      {
        correlationId: "flow-2",
      },
    );
    await events.append(ref("a", 3), numbered(0, "a4"), { correlationId: "alone" });
    await events.append(ref("b", 3, "what-if"), numbered(0, "edition only"), { correlationId: "flow-3" });
    // The saga has processed everything of `a`; the projector is 1 event behind on `b`.
    const all = await events.readAll(0n, 100);
    const lastOf = (domain: string, skip = 0) =>
      all.filter((e) => e.domain === domain && e.edition === "").at(-1 - skip)!.position;
    checkpoints.push(
      { consumer: "saga-a-b", kind: "saga", domain: "a", edition: "", position: lastOf("a") },
      { consumer: "projector-b", kind: "projector", domain: "b", edition: "", position: lastOf("b", 1) },
    );
    await rt.storage.snapshots.put(ref("a", 1), {
      sequence: 1,
      state: AnyPayload.pack(StringValueSchema, { $typeName: "google.protobuf.StringValue", value: "s" }),
    });
  });
  afterAll(async () => {
    await rt.stop();
  });

  test("GetTopology: a node per component with counts, last type and lag; input and flow edges", async () => {
    const topology = await createClient(InspectionService, rt.adminConnect()).getTopology({});
    const node = (id: string) => topology.nodes.find((n) => n.id === id)!;
    expect(topology.nodes.map((n) => n.id)).toEqual([
      "aggregate:a",
      "aggregate:b",
      "saga:saga-a-b",
      "projector:projector-b",
    ]);
    expect(node("aggregate:a").eventCount).toBe(4n);
    expect(node("aggregate:b").eventCount).toBe(2n); // the edition's event is not counted
    expect(node("aggregate:b").lastEventType).toBe("test.Shipped");
    expect(node("aggregate:b").health).toBe("down");
    expect(node("aggregate:a").lastEventAt).toBeDefined();
    expect(node("aggregate:a").eventsLastMinute).toBe(4);
    expect(node("saga:saga-a-b").lag).toBe(0n);
    expect(node("saga:saga-a-b").eventCount).toBe(4n);
    expect(node("projector:projector-b").lag).toBe(1n);
    expect(node("projector:projector-b").eventCount).toBe(1n);
    const edges = topology.edges.map((e) => `${e.kind} ${e.from} -> ${e.to} ${e.count}`).sort();
    expect(edges).toEqual([
      "flow aggregate:a -> aggregate:b 2",
      "input aggregate:a -> saga:saga-a-b 0",
      "input aggregate:b -> projector:projector-b 0",
    ]);
    expect(topology.headPosition).toBeGreaterThan(0n);
  });

  test("GetTopology follows new events incrementally", async () => {
    const client = createClient(InspectionService, rt.adminConnect());
    const before = await client.getTopology({});
    await rt.storage.events.append(ref("b", 1), numbered(1, "b3"), { correlationId: "flow-1" });
    const after = await client.getTopology({});
    const count = (t: typeof before) => t.nodes.find((n) => n.id === "aggregate:b")!.eventCount;
    expect(count(after)).toBe(count(before) + 1n);
    expect(after.headPosition).toBeGreaterThan(before.headPosition);
    expect(after.nodes.find((n) => n.id === "projector:projector-b")!.lag).toBe(2n);
  });

  test("DescribeAggregate: the stored snapshot (or none) and each page's correlation id; bad cover refused", async () => {
    const client = createClient(InspectionService, rt.adminConnect());
    const found = await client.describeAggregate({ cover: Covers.make({ domain: "a", root: root(1) }) });
    expect(found.snapshot?.sequence).toBe(1);
    expect(AnyPayload.nameOf(found.snapshot?.state)).toBe("google.protobuf.StringValue");
    expect(found.correlations.map((c) => `${c.sequence}:${c.correlationId}`)).toEqual([
      "0:flow-1",
      "1:flow-1",
    ]);
    const none = await client.describeAggregate({ cover: Covers.make({ domain: "a", root: root(2) }) });
    expect(none.snapshot).toBeUndefined();
    await rt.storage.events.append(ref("a", 2, "what-if"), numbered(1, "a3'"), { correlationId: "flow-w" });
    const edition = await client.describeAggregate({
      cover: Covers.make({ domain: "a", root: root(2), edition: "what-if" }),
    });
    expect(edition.correlations.map((c) => `${c.sequence}:${c.correlationId}`)).toEqual([
      "0:flow-2",
      "1:flow-w",
    ]);
    const err = await client.describeAggregate({ cover: { domain: "a" } }).catch(ConnectError.from);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
  });

  test("ListCheckpoints: each consumer's position and pending events, filtered by consumer", async () => {
    const client = createClient(ProjectionService, rt.adminConnect());
    const all = await client.listCheckpoints({});
    expect(all.checkpoints.map((c) => `${c.consumer} ${c.kind} ${c.domain} ${c.pending}`)).toEqual([
      "saga-a-b saga a 0",
      "projector-b projector b 2",
    ]);
    expect(all.headPosition).toBe(await rt.storage.events.headPosition());
    const one = await client.listCheckpoints({ consumer: "projector-b" });
    expect(one.checkpoints).toHaveLength(1);
  });

  test("DeadLetterService.Discard removes an entry for good; unknown id is NOT_FOUND", async () => {
    const id = await rt.storage.deadLetters.add({
      consumer: "saga-a-b",
      domain: "a",
      edition: "",
      root: Uuid.fromText("eb8052f7-3398-5b3a-99f8-7d84e926a184"),
      sequence: 0,
      correlationId: "flow-1",
      reason: "refused",
      payloadType: "angzarr.CommandBook",
      payload: new Uint8Array([1]),
    });
    const client = createClient(DeadLetterService, rt.adminConnect());
    const discarded = await client.discard({ id: BigInt(id) });
    expect(discarded.entry?.reason).toBe("refused");
    expect((await client.list({ includeReplayed: true })).entries).toEqual([]);
    const err = await client.discard({ id: BigInt(id) }).catch(ConnectError.from);
    expect((err as ConnectError).code).toBe(Code.NotFound);
  });
});
