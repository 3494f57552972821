// Speculation over a real socket with synthetic components (runtime/testing/fixtures): each RPC
// returns what the component would do — on supplied books, on books read now, or as of a point
// in time — and afterwards not one event, checkpoint, read-model row or bus message has changed.

import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AnyPayload,
  type CommandBook,
  CommandGateway,
  Covers,
  type EventBook,
  EventBookSchema,
  EventPages,
  ProcessManagerCoordinator,
  ProjectorCoordinator,
  SagaCoordinator,
  SpeculativeService,
  TemporalQuerySchema,
  Uuid,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { COMPONENT_HEADER } from "../coordinator/speculator";
import {
  LEDGER,
  ledgerSaga,
  SOURCE,
  tallyProjector,
  WATCH,
  watchPm,
} from "../testing/fixtures/reactive-components";
import { Code, failure, text } from "./testing/clients";
import { echoAggregate } from "./testing/echo-aggregate";
import {
  aggregateEntry,
  command,
  reactiveDirectoryOf,
  startTestRuntime,
  type TestRuntime,
} from "./testing/harness";

let rt: TestRuntime;
let dir: string;
let tallyDb: string;
let published = 0;
const root = Uuid.randomBytes();
const CORRELATION = "spec-1";

/** The text of a command's or an event book's first page. */
const value = (book: CommandBook | EventBook | undefined): string => {
  if (!book) return "";
  const payload =
    book.$typeName === "angzarr.CommandBook" ? book.pages[0]?.command : (book as EventBook).pages[0]?.event;
  return payload ? AnyPayload.unpack(payload, StringValueSchema).value : "";
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "spec-"));
  tallyDb = join(dir, "projector-tally.db");
  rt = await startTestRuntime(
    [aggregateEntry(echoAggregate(SOURCE)), aggregateEntry(echoAggregate(LEDGER))],
    {
      reactive: reactiveDirectoryOf({
        sagas: [ledgerSaga],
        processManagers: [watchPm],
        projectors: [{ program: tallyProjector(tallyDb) }],
      }),
    },
  );
  rt.bus.subscribe("spy", {}, () => {
    published++;
  });
  const gateway = createClient(CommandGateway, rt.connect());
  await gateway.execute(command(SOURCE, root, StringValueSchema, text("a"), 0, CORRELATION));
  await gateway.execute(command(SOURCE, root, StringValueSchema, text("b"), 1, CORRELATION));
  await rt.reactive?.settle();
});

afterAll(async () => {
  await rt.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Everything speculation must leave alone. */
async function world() {
  const events = await rt.storage.events.readAll(0n, 10_000);
  const checkpoints = await Promise.all(
    ["saga-src-ledger", "pmg-watch", "projector-tally"].map((c) => rt.storage.positions.get(c, SOURCE, "")),
  );
  const db = new Database(tallyDb, { readonly: true });
  const rows = db.query("SELECT * FROM tally ORDER BY root").all();
  db.close();
  return JSON.stringify({
    events: events.map((e) => [
      String(e.position),
      e.domain,
      e.edition,
      Uuid.toText(e.root),
      EventPages.sequence(e.page),
    ]),
    checkpoints: checkpoints.map(String),
    rows,
    published,
  });
}

const srcBook = (values: [number, string][]) =>
  create(EventBookSchema, {
    cover: Covers.make({ domain: SOURCE, root, correlationId: CORRELATION }),
    pages: values.map(([n, v]) => EventPages.numbered(n, AnyPayload.pack(StringValueSchema, text(v)))),
  });
const coverOnly = (domain: string) =>
  create(EventBookSchema, { cover: Covers.make({ domain, root, correlationId: CORRELATION }) });
const asOfSequence = (value: number) =>
  create(TemporalQuerySchema, { pointInTime: { case: "asOfSequence", value } });

describe("speculation writes nothing, publishes nothing, moves no checkpoint", () => {
  test("every speculative RPC answers what the component would do", async () => {
    expect((await rt.storage.events.get({ domain: LEDGER, edition: "", root })).length).toBe(4); // 2 saga + 2 PM
    const before = await world();
    const spec = createClient(SpeculativeService, rt.grpc());

    // Saga: destinations fetched now, fetched as of a sequence, or supplied; source supplied or fetched.
    const now = await spec.speculateSaga({ sagaName: "saga-src-ledger", source: srcBook([[2, "c"]]) });
    expect(now.commands.map(value)).toEqual(["seen:c after 4"]);
    expect(now.commands[0]?.sagaOrigin?.sagaName).toBe("saga-src-ledger");
    expect(now.commands[0]?.sagaOrigin?.triggeringEventSequence).toBe(2);
    expect(now.commands[0]?.cover?.correlationId).toBe(CORRELATION);
    const past = await spec.speculateSaga({
      sagaName: "saga-src-ledger",
      source: srcBook([[2, "c"]]),
      asOf: asOfSequence(0),
    });
    expect(past.commands.map(value)).toEqual(["seen:c after 1"]);
    const supplied = await spec.speculateSaga({
      sagaName: "saga-src-ledger",
      source: srcBook([[2, "c"]]),
      destinations: [
        srcBook([
          [0, "x"],
          [1, "y"],
          [2, "z"],
        ]),
      ],
    });
    expect(supplied.commands.map(value)).toEqual(["seen:c after 3"]);
    const fetched = await spec.speculateSaga({ sagaName: "saga-src-ledger", source: coverOnly(SOURCE) });
    expect(fetched.commands.map(value)).toEqual(["seen:a after 4", "seen:b after 4"]);

    // Process manager: state read now or as of a point; the would-be events and commands.
    const pm = await spec.speculateProcessManager({ pmName: "pmg-watch", trigger: srcBook([[2, "c"]]) });
    expect(value(pm.processEvents)).toBe("tracked:c (#3)");
    expect(pm.processEvents?.cover?.domain).toBe(WATCH);
    expect(pm.commands.map(value)).toEqual(["pm:c"]);
    const pmPast = await spec.speculateProcessManager({
      pmName: "pmg-watch",
      trigger: srcBook([[2, "c"]]),
      asOf: asOfSequence(0),
    });
    expect(value(pmPast.processEvents)).toBe("tracked:c (#2)");

    // Projector: the payload a real run would report, from its read model, unchanged.
    const projected = await spec.speculateProjector({
      projectorName: "projector-tally",
      events: srcBook([[2, "c"]]),
    });
    expect(AnyPayload.unpack(projected.projection, StringValueSchema).value).toBe("count 3, last c");
    expect(projected.sequence).toBe(2);

    // The coordinator-side services pick the component by its inputs, or by the header.
    const sagaCoordinator = createClient(SagaCoordinator, rt.connect());
    const viaSaga = await sagaCoordinator.executeSpeculative({ source: srcBook([[2, "d"]]) });
    expect(viaSaga.commands.map(value)).toEqual(["seen:d after 4"]);
    const viaPm = await createClient(ProcessManagerCoordinator, rt.connect()).handleSpeculative(
      { trigger: srcBook([[2, "d"]]) },
      { headers: { [COMPONENT_HEADER]: "pmg-watch" } },
    );
    expect(viaPm.commands.map(value)).toEqual(["pm:d"]);
    const viaProjector = await createClient(ProjectorCoordinator, rt.grpc()).handleSpeculative(
      srcBook([[2, "d"]]),
    );
    expect(AnyPayload.unpack(viaProjector.projection, StringValueSchema).value).toBe("count 3, last d");

    await rt.reactive?.settle();
    expect(await world()).toBe(before);
  }, 20_000);

  test("an unknown component name is NOT_FOUND with the spec's message", async () => {
    const spec = createClient(SpeculativeService, rt.connect());
    const cases: [() => Promise<unknown>, string][] = [
      [
        () => spec.speculateSaga({ sagaName: "nope", source: srcBook([[2, "c"]]) }),
        "No saga registered with name: nope",
      ],
      [
        () => spec.speculateProcessManager({ pmName: "nope", trigger: srcBook([[2, "c"]]) }),
        "No process manager registered with name: nope",
      ],
      [
        () => spec.speculateProjector({ projectorName: "nope", events: srcBook([[2, "c"]]) }),
        "No projector registered with name: nope",
      ],
      [
        () =>
          createClient(SagaCoordinator, rt.connect()).executeSpeculative(
            { source: srcBook([[2, "c"]]) },
            { headers: { [COMPONENT_HEADER]: "nope" } },
          ),
        "No saga registered with name: nope",
      ],
    ];
    for (const [call, message] of cases) {
      const err = await failure(call);
      expect([err.code, err.rawMessage]).toEqual([Code.NotFound, message]);
    }
    const noSource = await failure(() => spec.speculateSaga({ sagaName: "saga-src-ledger" }));
    expect([noSource.code, noSource.rawMessage]).toEqual([
      Code.InvalidArgument,
      "source must have a cover with a domain",
    ]);
  });

  test("ProjectorCoordinator.Handle runs the projector on stored events only", async () => {
    const fresh = Uuid.randomBytes();
    const gateway = createClient(CommandGateway, rt.connect());
    await gateway.execute(command(SOURCE, fresh, StringValueSchema, text("only"), 0, "spec-2"));
    await rt.reactive?.settle();
    const projectors = createClient(ProjectorCoordinator, rt.connect());
    // A made-up page is not stored: nothing of it reaches the read model.
    const madeUp = create(EventBookSchema, {
      cover: Covers.make({ domain: SOURCE, root: fresh }),
      pages: [EventPages.numbered(5, AnyPayload.pack(StringValueSchema, text("forged")))],
    });
    await projectors.handle(madeUp);
    const synced = await projectors.handleSync({
      events: create(EventBookSchema, { cover: Covers.make({ domain: SOURCE, root: fresh }) }),
    });
    expect(AnyPayload.unpack(synced.projection, StringValueSchema).value).toBe("count 1, last only");
  });
});
