// The measuring adapters leave a port's behaviour as it was: methods they do not measure are the
// backend's own (its private state intact), fields read through to it, errors pass unchanged; and
// what they measure lands in the runtime's metrics under the right labels.
import { expect, test } from "bun:test";
import type { EventPage } from "@angzarr/proto";
import type { EventStore, SnapshotStore, Storage } from "../storage/types";
import { measuredStorage } from "./instrument";
import { eventsAppended, storeDuration } from "./metrics";

class FakeEvents {
  #appended = 0;
  closed = false;
  get appended(): number {
    return this.#appended;
  }
  async append(_ref: unknown, pages: EventPage[]): Promise<EventPage[]> {
    if (this.closed) throw new Error("closed");
    this.#appended += pages.length;
    return pages;
  }
  async listDomains(): Promise<string[]> {
    return [`count ${this.#appended}`];
  }
}

const ref = { domain: "adapter-test", edition: "", root: new Uint8Array(16) };

test("a measured store forwards what it does not measure and counts what it does", async () => {
  const events = new FakeEvents();
  const storage = { events, snapshots: {} as SnapshotStore, closeMarker: 1 } as unknown as Storage & {
    closeMarker: number;
  };
  const measured = measuredStorage(storage) as Storage & { closeMarker: number };
  const view = measured.events as EventStore & FakeEvents;
  const pages = [{ sequence: { case: "num", value: 0 } }] as unknown as EventPage[];
  const appendedBefore = eventsAppended.cell("adapter-test").value;
  const appendsBefore = storeDuration.cell("append").count;

  expect(await view.append(ref, pages, { correlationId: "c" })).toBe(pages);
  // Unmeasured methods run on the backend itself (its private field), accessors and fields read through.
  expect(await view.listDomains()).toEqual(["count 1"]);
  expect(view.appended).toBe(1);
  events.closed = true;
  expect(view.closed).toBe(true);
  expect(measured.closeMarker).toBe(1);
  // Errors pass unchanged, and the failed call's latency is recorded too.
  await expect(view.append(ref, pages, { correlationId: "c" })).rejects.toThrow("closed");

  expect(eventsAppended.cell("adapter-test").value - appendedBefore).toBe(1);
  expect(storeDuration.cell("append").count - appendsBefore).toBe(2);
});
