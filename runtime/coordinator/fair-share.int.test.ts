// Reactive work never starves client commands (issue 15, defect 2). A real runtime (child process,
// SQLite, synthetic programs): one small client command makes the synthetic saga `saga-fanout`
// decide thousands of commands to `ledger` (like an order's per-line stock reservations), which the
// outbox then delivers one by one while the projector writes its rows. Meanwhile small client
// commands are sent back to back. None of them may be held up by the flood: counted in the store,
// not timed, fewer than a third of the flood's commands are delivered while any one of them waits
// (a slow machine slows both sides alike), and the flood is delivered exactly once.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { CommandGateway, ProjectionService } from "@angzarr/proto";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { adminTransport } from "../cli/admin-transport";
import { fanoutRoot, LEDGER, SOURCE } from "../testing/fixtures/reactive-components";
import { echoCommand, multiCommand, newRoot, waitFor } from "../testing/processes";
import {
  echoAggregateLine,
  type RunningRuntime,
  reactiveAgentLine,
  startRuntime,
} from "../testing/running-runtime";

/** Commands the one flood command causes. */
const FLOOD = 3_000;

/** A runtime of synthetic programs over SQLite, and its database opened read-only beside it. */
async function startSynthetic(components: string[]): Promise<{ runtime: RunningRuntime; db: Database }> {
  const runtime = await startRuntime({
    config: [
      "storage: { backend: sqlite }",
      "reactive: { pollMs: 100 }",
      "components:",
      ...components,
      "",
    ].join("\n"),
  });
  return { runtime, db: new Database(join(runtime.dir, "angzarr.db"), { readonly: true }) };
}

async function stopSynthetic(runtime: RunningRuntime | undefined, db: Database | undefined): Promise<void> {
  db?.close();
  await runtime?.stop();
}

describe("a saga's flood of commands", () => {
  let runtime: RunningRuntime;
  let db: Database;

  beforeAll(async () => {
    ({ runtime, db } = await startSynthetic([
      echoAggregateLine(SOURCE),
      echoAggregateLine(LEDGER),
      reactiveAgentLine("saga-fanout", "saga", "fanout"),
      reactiveAgentLine("projector-tally", "projector", "projector"),
    ]));
  }, 120_000);

  afterAll(() => stopSynthetic(runtime, db));

  /** The saga's checkpoint on the source domain's main timeline (0 = nothing processed). */
  function sagaCheckpoint(): number {
    const row = db
      .query<{ position: number }, []>(
        "SELECT position FROM positions WHERE consumer = 'saga-fanout' AND domain = 'src' AND edition = ''",
      )
      .get();
    return row?.position ?? 0;
  }

  function positionOf(domain: string, root: Uint8Array): number {
    const row = db
      .query<{ position: number }, [string, Uint8Array]>(
        "SELECT position FROM events WHERE domain = ? AND root = ? ORDER BY sequence LIMIT 1",
      )
      .get(domain, root);
    if (!row) throw new Error(`no event at ${domain}`);
    return row.position;
  }

  test("small client commands overtake a saga's flood of thousands of commands", async () => {
    const gateway = createClient(
      CommandGateway,
      createConnectTransport({ baseUrl: runtime.url, httpVersion: "2" }),
    );
    const ledger = db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM events WHERE domain = ?");
    const delivered = () => ledger.get(LEDGER)?.n ?? 0;
    const floodRoot = newRoot();
    await gateway.execute(echoCommand(SOURCE, floodRoot, `fan:${FLOOD}`));
    const floodEvent = positionOf(SOURCE, floodRoot);

    // Small commands back to back until the whole flood is in the ledger. For each, how many of
    // the flood's commands were delivered while it waited (counted in the store, not timed).
    const overtaken: number[] = [];
    let duringDelivery = 0;
    while (delivered() < FLOOD) {
      const before = delivered();
      const response = await gateway.execute(echoCommand(SOURCE, newRoot(), "small"));
      const after = delivered();
      expect(response.events?.pages).toHaveLength(1);
      overtaken.push(after - before);
      if (after > 0 && after < FLOOD) duringDelivery++;
    }

    // The flood really ran alongside (small commands answered while it was being delivered), and
    // no small command waited behind more than a third of it: a delivery that held the event loop
    // (as the quadratic deliver() did) makes a client command wait for the whole flood.
    expect(duringDelivery).toBeGreaterThan(10);
    expect(Math.max(...overtaken)).toBeLessThan(FLOOD / 3);

    // And it was delivered exactly once: one ledger event at each of its roots.
    await waitFor("the saga's checkpoint past the flood", () => sagaCheckpoint() >= floodEvent, 60_000);
    expect(delivered()).toBe(FLOOD);
    for (const i of [0, FLOOD / 2, FLOOD - 1]) {
      expect(positionOf(LEDGER, fanoutRoot(floodRoot, i))).toBeGreaterThan(floodEvent);
    }
  }, 300_000);
});

// A consumer reading a long backlog it has nothing to do with (a projector of one rare event type
// in a busy domain, rebuilt) touches only the store, whose calls are synchronous: without turns it
// would hold the event loop from the first batch to the last. A client command sent while the
// rebuild reads must complete before the rebuild has read the backlog.
describe("a projection rebuild over a long backlog", () => {
  const COMMANDS = 20;
  const EVENTS_PER_COMMAND = 5_000;
  let busy: RunningRuntime;
  let busyDb: Database;

  beforeAll(async () => {
    ({ runtime: busy, db: busyDb } = await startSynthetic([
      echoAggregateLine(SOURCE, "multi-agg"),
      reactiveAgentLine("projector-sparse", "projector", "sparse"),
    ]));
  }, 120_000);

  afterAll(() => stopSynthetic(busy, busyDb));

  test("a client command sent during the rebuild completes before the rebuild has read the backlog", async () => {
    const gateway = createClient(
      CommandGateway,
      createConnectTransport({ baseUrl: busy.url, httpVersion: "2" }),
    );
    for (let k = 0; k < COMMANDS; k++)
      await gateway.execute(multiCommand(SOURCE, newRoot(), EVENTS_PER_COMMAND));
    const last =
      busyDb.query<{ p: number }, []>("SELECT max(position) AS p FROM events").get()?.p ?? Number.NaN;
    const checkpoint = () =>
      busyDb
        .query<{ position: number }, []>(
          "SELECT position FROM positions WHERE consumer = 'projector-sparse' AND domain = 'src' AND edition = ''",
        )
        .get()?.position ?? 0;
    await waitFor("the projector caught up", () => checkpoint() >= last, 60_000);

    const projections = createClient(ProjectionService, adminTransport(busy.adminUrl));
    const rebuild = projections.rebuild({ projector: "projector-sparse" });
    await waitFor("the rebuild under way", () => checkpoint() < last, 60_000);
    const response = await gateway.execute(multiCommand(SOURCE, newRoot(), 1));
    const reachedWhenAnswered = checkpoint();
    expect(response.events?.pages).toHaveLength(1);
    expect(reachedWhenAnswered).toBeLessThan(last);

    // The rebuild still reads everything.
    await rebuild;
    expect(checkpoint()).toBeGreaterThanOrEqual(last);
  }, 300_000);
});
