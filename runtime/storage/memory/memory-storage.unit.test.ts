// Memory-specific behaviour the contract cannot see: stored values are copies, never shared.
import { describe, expect, test } from "bun:test";
import { EventPages } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { createMemoryStorage } from "./index";

const root = new Uint8Array(16).fill(7);
const ref = { domain: "orders", edition: "", root };

function event(bytes: number[]) {
  return create(AnySchema, { typeUrl: "type.test/t.E", value: new Uint8Array(bytes) });
}

describe("memory storage", () => {
  test("mutating an appended or returned page does not change the store", async () => {
    const storage = createMemoryStorage();
    const page = EventPages.numbered(0, event([1, 2, 3]));
    const [returned] = await storage.events.append(ref, [page], { correlationId: "c" });
    page.event?.value.fill(0);
    if (page.event) page.event.typeUrl = "changed";
    returned?.event?.value.fill(9);
    const [read] = await storage.events.get(ref);
    expect([...(read?.event?.value ?? [])]).toEqual([1, 2, 3]);
    expect(read?.event?.typeUrl).toBe("type.test/t.E");
    read?.event?.value.fill(5);
    expect([...((await storage.events.get(ref))[0]?.event?.value ?? [])]).toEqual([1, 2, 3]);
  });

  test("mutating the root after an append does not move the aggregate", async () => {
    const storage = createMemoryStorage();
    const mutable = root.slice();
    await storage.events.append({ ...ref, root: mutable }, [EventPages.forced(event([1]))], {
      correlationId: "c",
    });
    mutable.fill(0);
    expect(await storage.events.nextSequence(ref)).toBe(1);
    const [listed] = await storage.events.listRoots("orders", "");
    listed?.fill(1);
    expect(await storage.events.listRoots("orders", "")).toEqual([root]);
  });

  test("snapshot state, dead-letter payloads and causation outcomes are copied", async () => {
    const storage = createMemoryStorage();
    const state = event([4]);
    await storage.snapshots.put(ref, { sequence: 0, state });
    state.value.fill(0);
    expect([...((await storage.snapshots.get(ref))?.state.value ?? [])]).toEqual([4]);

    const payload = new Uint8Array([5]);
    const id = await storage.deadLetters.add({
      consumer: "p",
      domain: "orders",
      edition: "",
      root,
      sequence: 0,
      correlationId: "c",
      reason: "r",
      payloadType: "angzarr.EventBook",
      payload,
    });
    payload.fill(0);
    expect([...((await storage.deadLetters.fetch(id))?.payload ?? [])]).toEqual([5]);

    const outcome = new Uint8Array([6]);
    const key = { component: "s", domain: "orders", edition: "", root, sequence: 0 };
    await storage.causations.record(key, outcome);
    outcome.fill(0);
    expect([...((await storage.causations.outcome(key)) ?? [])]).toEqual([6]);
  });

  test("the reference spelling of the main timeline is the main timeline", async () => {
    const storage = createMemoryStorage();
    await storage.events.append(ref, [EventPages.forced(event([1]))], { correlationId: "c" });
    expect(await storage.events.nextSequence({ ...ref, edition: "angzarr" })).toBe(1);
    await expect(storage.events.deleteEdition("orders", "angzarr")).rejects.toThrow(
      "Cannot delete main timeline events",
    );
  });
});
