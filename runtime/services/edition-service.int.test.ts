// EditionService over a real socket with a synthetic aggregate: create with branch points, write
// and read the composite history, list with event counts, delete everything of one edition.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  AnyPayload,
  CommandGateway,
  Covers,
  EditionService,
  EventQuery,
  TemporalQuerySchema,
  Timestamps,
  Uuid,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { Code, failure, sequences, text } from "./testing/clients";
import { ECHO_DOMAIN, echoAggregate } from "./testing/echo-aggregate";
import { aggregateEntry, command, startTestRuntime, type TestRuntime } from "./testing/harness";

let rt: TestRuntime;
const readModelsDeleted: string[] = [];

beforeAll(async () => {
  rt = await startTestRuntime([aggregateEntry(echoAggregate()), aggregateEntry(echoAggregate("ledger"))], {
    deleteEditionReadModels: async (edition) => {
      readModelsDeleted.push(edition);
    },
  });
});

afterAll(async () => {
  await rt.stop();
});

const asOfSequence = (value: number) =>
  create(TemporalQuerySchema, { pointInTime: { case: "asOfSequence", value } });

/** A command into `edition` (or main) at `sequence`. */
const echo = (root: Uint8Array, value: string, sequence: number, edition = "", domain = ECHO_DOMAIN) => {
  const book = command(domain, root, StringValueSchema, text(value), sequence, "corr-ed");
  book.cover = Covers.make({ domain, root, correlationId: "corr-ed", edition });
  return book;
};

describe("EditionService", () => {
  test("create → write into the edition → read the composite → list with counts → delete", async () => {
    const editions = createClient(EditionService, rt.grpc());
    const gateway = createClient(CommandGateway, rt.connect());
    const query = createClient(EventQuery, rt.connect());
    const root = Uuid.randomBytes();
    for (let i = 0; i < 3; i++) await gateway.execute(echo(root, `m${i}`, i));

    // Unknown until created.
    const early = await failure(() => gateway.execute(echo(root, "e", 2, "plan-b")));
    expect([early.code, early.rawMessage]).toEqual([
      Code.NotFound,
      "No edition registered with name: plan-b",
    ]);

    const created = await editions.createEdition({
      name: "plan-b",
      description: "what if the third never happened",
      divergencePoint: asOfSequence(1),
    });
    expect(created.name).toBe("plan-b");
    expect(Date.parse(created.createdAt)).toBeGreaterThan(0);

    // The edition inherits main events 0..1 and continues at 2; main is untouched.
    const written = await gateway.execute(echo(root, "e2", 2, "plan-b"));
    expect(sequences(written.events)).toEqual([2]);
    await gateway.execute(echo(root, "e3", 3, "plan-b"));
    const composite = await query.getEventBook({
      cover: Covers.make({ domain: ECHO_DOMAIN, root, edition: "plan-b" }),
    });
    expect(composite.pages.map((p) => AnyPayload.unpack(p.event, StringValueSchema).value)).toEqual([
      "m0",
      "m1",
      "e2",
      "e3",
    ]);
    expect(sequences(composite)).toEqual([0, 1, 2, 3]);
    const main = await query.getEventBook({ cover: Covers.make({ domain: ECHO_DOMAIN, root }) });
    expect(sequences(main)).toEqual([0, 1, 2]);

    const listed = (await editions.listEditions({})).editions.find((e) => e.name === "plan-b");
    expect(listed?.description).toBe("what if the third never happened");
    expect(listed?.divergencePoint?.pointInTime).toEqual({ case: "asOfSequence", value: 1 });
    expect(listed?.eventCounts).toEqual({ [ECHO_DOMAIN]: 2 });

    // Checkpoints and causations on the edition go with it.
    await rt.storage.positions.put("projector-x", ECHO_DOMAIN, "plan-b", 5n);
    await rt.storage.positions.put("projector-x", ECHO_DOMAIN, "", 6n);
    const causation = { component: "saga-x", domain: ECHO_DOMAIN, edition: "plan-b", root, sequence: 2 };
    await rt.storage.causations.record(causation);
    await rt.storage.snapshots.put(
      { domain: ECHO_DOMAIN, edition: "plan-b", root },
      { sequence: 3, state: { $typeName: "google.protobuf.Any", typeUrl: "x/y", value: new Uint8Array() } },
    );

    await editions.deleteEdition({ name: "plan-b" });
    expect(await rt.storage.events.countEdition("plan-b")).toEqual([]);
    expect(await rt.storage.snapshots.get({ domain: ECHO_DOMAIN, edition: "plan-b", root })).toBeUndefined();
    expect(await rt.storage.positions.get("projector-x", ECHO_DOMAIN, "plan-b")).toBeUndefined();
    expect(await rt.storage.positions.get("projector-x", ECHO_DOMAIN, "")).toBe(6n);
    expect(await rt.storage.causations.has(causation)).toBe(false);
    expect(readModelsDeleted).toContain("plan-b");
    expect((await editions.listEditions({})).editions.map((e) => e.name)).not.toContain("plan-b");
    expect(
      sequences(await query.getEventBook({ cover: Covers.make({ domain: ECHO_DOMAIN, root }) })),
    ).toEqual([0, 1, 2]);

    // Gone: commands and queries into it are NOT_FOUND, and so is a second delete.
    for (const call of [
      () => gateway.execute(echo(root, "late", 4, "plan-b")),
      () => query.getEventBook({ cover: Covers.make({ domain: ECHO_DOMAIN, root, edition: "plan-b" }) }),
      () => editions.deleteEdition({ name: "plan-b" }),
    ]) {
      const err = await failure(call);
      expect([err.code, err.rawMessage]).toEqual([Code.NotFound, "No edition registered with name: plan-b"]);
    }
  }, 20_000);

  test("per-domain branch points by sequence and by time", async () => {
    const editions = createClient(EditionService, rt.connect());
    const gateway = createClient(CommandGateway, rt.connect());
    const query = createClient(EventQuery, rt.connect());
    const root = Uuid.randomBytes();
    const first = await gateway.execute(echo(root, "l0", 0, "", "ledger"));
    const cut = first.events?.pages[0]?.createdAt ?? Timestamps.now();
    await Bun.sleep(5);
    await gateway.execute(echo(root, "l1", 1, "", "ledger"));
    await gateway.execute(echo(root, "m0", 0));
    await editions.createEdition({
      name: "per-domain",
      divergencePoint: asOfSequence(0),
      domainDivergences: {
        ledger: create(TemporalQuerySchema, { pointInTime: { case: "asOfTime", value: cut } }),
      },
    });
    // ledger: only what was recorded at or before the cut (l0); echo: as of sequence 0 (m0).
    const ledger = await query.getEventBook({
      cover: Covers.make({ domain: "ledger", root, edition: "per-domain" }),
    });
    expect(sequences(ledger)).toEqual([0]);
    const written = await gateway.execute(echo(root, "x", 1, "per-domain", "ledger"));
    expect(sequences(written.events)).toEqual([1]);
    const info = (await editions.listEditions({})).editions.find((e) => e.name === "per-domain");
    expect(info?.domainDivergences.ledger?.pointInTime.case).toBe("asOfTime");
    expect(info?.eventCounts).toEqual({ ledger: 1 });
  });

  test("names, duplicates and the main timeline", async () => {
    const editions = createClient(EditionService, rt.grpc());
    await editions.createEdition({ name: "twice" });
    const duplicate = await failure(() => editions.createEdition({ name: "twice" }));
    expect([duplicate.code, duplicate.rawMessage]).toEqual([
      Code.AlreadyExists,
      "Edition already exists: twice",
    ]);
    for (const name of ["", "angzarr"]) {
      const err = await failure(() => editions.createEdition({ name }));
      expect(err.code).toBe(Code.InvalidArgument);
      const del = await failure(() => editions.deleteEdition({ name }));
      expect([del.code, del.rawMessage]).toEqual([
        Code.InvalidArgument,
        "Cannot delete main timeline events",
      ]);
    }
    for (const name of ["../../etc", "a b", "x".repeat(5000), "nul\u0000"]) {
      const err = await failure(() => editions.createEdition({ name }));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toStartWith("Invalid edition name ");
      expect(err.rawMessage.length).toBeLessThan(300);
    }
    const empty = await failure(() =>
      editions.createEdition({ name: "no-point", divergencePoint: create(TemporalQuerySchema) }),
    );
    expect([empty.code, empty.rawMessage]).toEqual([
      Code.InvalidArgument,
      "divergence_point must specify as_of_time or as_of_sequence",
    ]);
    const unknown = await failure(() => editions.deleteEdition({ name: "never-was" }));
    expect([unknown.code, unknown.rawMessage]).toEqual([
      Code.NotFound,
      "No edition registered with name: never-was",
    ]);
  });
});
