// Projector output streamed to the followers of a workflow (wire-contract §3.9): a book
// `_projection.{projector}.{source domain}` with one page numbered Projection.sequence, holding
// the angzarr.Projection with the projector's payload.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AnyPayload, CommandGateway, EventStream, ProjectionSchema, Uuid } from "@angzarr/proto";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { SOURCE, tallyProjector } from "../testing/fixtures/reactive-components";
import { text } from "./testing/clients";
import { echoAggregate } from "./testing/echo-aggregate";
import {
  aggregateEntry,
  command,
  reactiveDirectoryOf,
  startTestRuntime,
  type TestRuntime,
} from "./testing/harness";

let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime([aggregateEntry(echoAggregate(SOURCE))], {
    reactive: reactiveDirectoryOf({ projectors: [{ program: tallyProjector(":memory:") }] }),
  });
});

afterAll(async () => {
  await rt.stop();
});

describe("streamed projections", () => {
  test("a follower of the workflow receives each projection with its payload and sequence", async () => {
    const stream = createClient(EventStream, rt.connect());
    const abort = new AbortController();
    const projections: {
      domain: string;
      num: number;
      projector: string;
      sequence: number;
      payload: string;
    }[] = [];
    const before = rt.bus.active;
    const reading = (async () => {
      for await (const book of stream.subscribe({ correlationId: "ps-1" }, { signal: abort.signal })) {
        if (!book.cover?.domain.startsWith("_projection.")) continue;
        const page = book.pages[0];
        const projection = AnyPayload.unpack(page?.event, ProjectionSchema);
        projections.push({
          domain: book.cover.domain,
          num: page?.sequence.case === "num" ? page.sequence.value : -1,
          projector: projection.projector,
          sequence: projection.sequence,
          payload: AnyPayload.unpack(projection.projection, StringValueSchema).value,
        });
        if (projections.length === 2) abort.abort();
      }
    })().catch(() => undefined);
    await rt.bus.waitFor(before + 1);
    const gateway = createClient(CommandGateway, rt.connect());
    const root = Uuid.randomBytes();
    await gateway.execute(command(SOURCE, root, StringValueSchema, text("first"), 0, "ps-1"));
    await gateway.execute(command(SOURCE, root, StringValueSchema, text("second"), 1, "ps-1"));
    await rt.reactive?.settle();
    await reading;
    expect(projections).toEqual([
      {
        domain: "_projection.projector-tally.src",
        num: 0,
        projector: "projector-tally",
        sequence: 0,
        payload: "count 1, last first",
      },
      {
        domain: "_projection.projector-tally.src",
        num: 1,
        projector: "projector-tally",
        sequence: 1,
        payload: "count 2, last second",
      },
    ]);
  }, 20_000);
});
