// Dead letters in memory, numbered from 1 in insertion order.
import { Editions } from "@angzarr/proto";
import { NotFoundError } from "../errors";
import type { DeadLetterEntry, DeadLetterInput, DeadLetterStore } from "../types";
import { checkRoot, checkSequence } from "./validation";

function copy(entry: DeadLetterEntry): DeadLetterEntry {
  return {
    ...entry,
    root: entry.root.slice(),
    payload: entry.payload.slice(),
    createdAt: new Date(entry.createdAt),
    ...(entry.replayedAt ? { replayedAt: new Date(entry.replayedAt) } : {}),
  };
}

export class MemoryDeadLetterStore implements DeadLetterStore {
  readonly #entries = new Map<number, DeadLetterEntry>();
  /** Idempotency key → id of the entry not yet replayed. */
  readonly #open = new Map<string, number>();
  #lastId = 0;

  async add(input: DeadLetterInput): Promise<number> {
    this.check(input);
    return this.addNow(input);
  }

  /** Throws InvalidInputError when the entry is malformed. */
  check(input: DeadLetterInput): void {
    checkRoot(input.root);
    checkSequence(input.sequence);
  }

  /** Adds a checked entry (synchronous, for outbox writes). */
  addNow(input: DeadLetterInput): number {
    const existing = input.key === undefined ? undefined : this.#open.get(input.key);
    if (existing !== undefined) return existing;
    const id = ++this.#lastId;
    this.#entries.set(id, {
      id,
      consumer: input.consumer,
      domain: input.domain,
      edition: Editions.normalize(input.edition),
      root: input.root.slice(),
      sequence: input.sequence,
      correlationId: input.correlationId,
      reason: input.reason,
      payloadType: input.payloadType,
      payload: input.payload.slice(),
      escalated: input.escalated ?? false,
      createdAt: new Date(),
      ...(input.key === undefined ? {} : { key: input.key }),
    });
    if (input.key !== undefined) this.#open.set(input.key, id);
    return id;
  }

  async list(options: { includeReplayed?: boolean; consumer?: string } = {}): Promise<DeadLetterEntry[]> {
    const out: DeadLetterEntry[] = [];
    for (const entry of this.#entries.values()) {
      if (!options.includeReplayed && entry.replayedAt !== undefined) continue;
      if (options.consumer !== undefined && entry.consumer !== options.consumer) continue;
      out.push(copy(entry));
    }
    return out.sort((a, b) => a.id - b.id);
  }

  async fetch(id: number): Promise<DeadLetterEntry | undefined> {
    const entry = this.#entries.get(id);
    return entry === undefined ? undefined : copy(entry);
  }

  async markReplayed(id: number): Promise<void> {
    const entry = this.#entries.get(id);
    if (entry === undefined) throw new NotFoundError(`Unknown dead letter: ${id}`);
    entry.replayedAt ??= new Date();
    if (entry.key !== undefined && this.#open.get(entry.key) === id) this.#open.delete(entry.key);
  }

  async remove(id: number): Promise<void> {
    if (!this.#entries.delete(id)) throw new NotFoundError(`Unknown dead letter: ${id}`);
  }
}
