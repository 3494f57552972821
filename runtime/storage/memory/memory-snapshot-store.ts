// Snapshots in memory: one per (domain, edition, root), replaced on every put.

import { Editions } from "@angzarr/proto";
import { clone } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";
import type { AggregateRef, SnapshotRecord, SnapshotStore } from "../types";
import { aggregateKey, checkRef, checkSequence } from "./validation";

interface Entry {
  domain: string;
  edition: string;
  sequence: number;
  state: Any;
}

export class MemorySnapshotStore implements SnapshotStore {
  readonly #entries = new Map<string, Entry>();

  async get(ref: AggregateRef): Promise<SnapshotRecord | undefined> {
    const r = checkRef(ref);
    const entry = this.#entries.get(aggregateKey(r.domain, r.edition, r.root));
    return entry === undefined
      ? undefined
      : { sequence: entry.sequence, state: clone(AnySchema, entry.state) };
  }

  async put(ref: AggregateRef, snapshot: SnapshotRecord): Promise<void> {
    const r = checkRef(ref);
    checkSequence(snapshot.sequence, "snapshot sequence");
    this.store(r, snapshot.sequence, snapshot.state);
  }

  async delete(ref: AggregateRef): Promise<void> {
    const r = checkRef(ref);
    this.#entries.delete(aggregateKey(r.domain, r.edition, r.root));
  }

  async deleteEdition(domain: string, edition: string): Promise<number> {
    const name = Editions.normalize(edition);
    let count = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.domain === domain && entry.edition === name) {
        this.#entries.delete(key);
        count++;
      }
    }
    return count;
  }

  /** Stores a snapshot for an already checked ref (used by the event store inside an append). */
  store(ref: AggregateRef, sequence: number, state: Any): void {
    this.#entries.set(aggregateKey(ref.domain, ref.edition, ref.root), {
      domain: ref.domain,
      edition: ref.edition,
      sequence,
      state: clone(AnySchema, state),
    });
  }
}
