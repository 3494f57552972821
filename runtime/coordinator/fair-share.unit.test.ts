// Reactive work hands the event loop over (fair-share.ts). Whether it did is seen by a callback
// queued with setImmediate when the work starts: it runs before the work ends only if the work
// gave the event loop back on the way (an await on settled promises never does).
import { expect, test } from "bun:test";
import { CommandBookSchema, Covers, EventBookSchema } from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { MemoryBus } from "../bus/memory/memory-bus";
import { createMemoryStorage } from "../storage/memory";
import type { CausationKey } from "../storage/types";
import { clientCommand, clientCommandsInProgress, reactiveTurn, SLICE_MS } from "./fair-share";
import { OutboxDispatcher } from "./outbox-dispatcher";

/** Resolves with whether a turn of the event loop came while `work` ran. */
async function turnedDuring(work: () => Promise<void>): Promise<boolean> {
  let turned = false;
  const immediate = setImmediate(() => {
    turned = true;
  });
  await work();
  const during = turned;
  clearImmediate(immediate);
  return during;
}

function busyFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // the synchronous part of one step (a SQLite call)
  }
}

test("steps that only await settled promises give the event loop back once a slice is spent", async () => {
  const steps = async (turns: boolean) => {
    for (let i = 0; i < 4 * SLICE_MS; i++) {
      busyFor(1);
      if (turns) await reactiveTurn();
      else await Promise.resolve();
    }
  };
  expect(await turnedDuring(() => steps(false))).toBe(false);
  expect(await turnedDuring(() => steps(true))).toBe(true);
});

test("while a client command is in progress, every reactive step gives the event loop back", async () => {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const command = clientCommand(() => held);
  expect(clientCommandsInProgress()).toBe(1);
  // One step, well inside a slice: it still waits for a turn.
  expect(await turnedDuring(() => reactiveTurn())).toBe(true);
  release();
  await command;
  expect(clientCommandsInProgress()).toBe(0);
});

test("the outbox dispatcher delivering one decision of 5,000 commands lets the event loop turn meanwhile", async () => {
  const storage = createMemoryStorage();
  const bus = new MemoryBus();
  const delivered: string[] = [];
  const dispatcher = new OutboxDispatcher({
    outbox: storage.outbox,
    causations: storage.causations,
    bus,
    // Answers at once (settled promises only): the dispatcher's own turns are what is seen.
    pipeline: {
      run: async (command) => {
        delivered.push(command.cover?.correlationId ?? "");
        return { kind: "events", book: create(EventBookSchema, { cover: command.cover }) };
      },
    },
  });
  dispatcher.register("test", {
    answered: () => ({ status: "delivered", books: [], failures: [] }),
    refused: () => ({ status: "rejected", books: [], failures: [] }),
    parked: () => ({ status: "parked", books: [], failures: [] }),
  });
  const cause: CausationKey = {
    component: "saga-x",
    domain: "src",
    edition: "",
    root: new Uint8Array(16),
    sequence: 0,
  };
  const count = 5_000;
  const [written] = await storage.outbox.write([
    {
      causations: [cause],
      appends: [],
      enqueue: Array.from({ length: count }, (_, i) => ({
        cause,
        name: `command-${i}`,
        lane: "saga-x/src",
        kind: "test",
        payload: toBinary(
          CommandBookSchema,
          create(CommandBookSchema, {
            cover: Covers.make({ domain: "dst", root: new Uint8Array(16), correlationId: `c${i}` }),
          }),
        ),
      })),
    },
  ]);
  if (written?.kind !== "written") throw new Error("not written");
  let failures = -1;
  const turned = await turnedDuring(async () => {
    failures = (await dispatcher.deliver("saga-x/src", written.enqueued)).failures.length;
  });
  expect(turned).toBe(true);
  expect(failures).toBe(0);
  // In decision order, each once.
  expect(delivered).toEqual(Array.from({ length: count }, (_, i) => `c${i}`));
  await bus.close();
});
