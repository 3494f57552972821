// Causation records in memory: which component already handled which source page.
import { Editions } from "@angzarr/proto";
import { InvalidInputError } from "../errors";
import type { CausationKey, CausationStore } from "../types";
import { aggregateKey, checkRoot, checkSequence } from "./validation";

function key(k: CausationKey): string {
  checkRoot(k.root);
  checkSequence(k.sequence);
  return `${k.component}\u0000${aggregateKey(k.domain, Editions.normalize(k.edition), k.root)}\u0000${k.sequence}`;
}

export class MemoryCausationStore implements CausationStore {
  /** Key → outcome (undefined when recorded without one). */
  readonly #records = new Map<string, Uint8Array | undefined>();
  /** Key → the source's edition, for edition deletion. */
  readonly #editions = new Map<string, string>();

  async record(k: CausationKey, outcome?: Uint8Array): Promise<boolean> {
    const id = key(k);
    if (this.#records.has(id)) return false;
    this.#records.set(id, outcome?.slice());
    this.#editions.set(id, Editions.normalize(k.edition));
    return true;
  }

  /** Synchronous check-and-record, for appends that record a causation atomically. */
  claim(k: CausationKey): boolean {
    const id = key(k);
    if (this.#records.has(id)) return false;
    this.#records.set(id, undefined);
    this.#editions.set(id, Editions.normalize(k.edition));
    return true;
  }

  /** Stores the outcome of a claimed record (synchronous, for outbox writes). */
  setOutcome(k: CausationKey, outcome: Uint8Array): void {
    this.#records.set(key(k), outcome.slice());
  }

  /** Checks a key without recording it (throws InvalidInputError when malformed). */
  check(k: CausationKey): void {
    key(k);
  }

  /** True when recorded (synchronous, for appends). */
  recorded(k: CausationKey): boolean {
    return this.#records.has(key(k));
  }

  async has(k: CausationKey): Promise<boolean> {
    return this.#records.has(key(k));
  }

  async outcome(k: CausationKey): Promise<Uint8Array | undefined> {
    return this.#records.get(key(k))?.slice();
  }

  async deleteEdition(edition: string): Promise<number> {
    const name = Editions.normalize(edition);
    if (Editions.isMain(name)) throw new InvalidInputError("Cannot delete main timeline causations");
    let count = 0;
    for (const [id, e] of [...this.#editions]) {
      if (e !== name) continue;
      this.#editions.delete(id);
      if (this.#records.delete(id)) count++;
    }
    return count;
  }
}
