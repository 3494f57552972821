// Consumer checkpoints in memory: (consumer, domain, edition) → last processed position.
import { Editions } from "@angzarr/proto";
import { InvalidInputError } from "../errors";
import type { PositionStore } from "../types";
import { checkPosition } from "./validation";

function key(consumer: string, domain: string, edition: string): string {
  return `${consumer}\u0000${domain}\u0000${Editions.normalize(edition)}`;
}

export class MemoryPositionStore implements PositionStore {
  readonly #positions = new Map<string, bigint>();

  async get(consumer: string, domain: string, edition: string): Promise<bigint | undefined> {
    return this.#positions.get(key(consumer, domain, edition));
  }

  async put(consumer: string, domain: string, edition: string, position: bigint): Promise<void> {
    checkPosition(position);
    this.#positions.set(key(consumer, domain, edition), position);
  }

  async reset(consumer: string, domain: string, edition: string): Promise<void> {
    this.#positions.delete(key(consumer, domain, edition));
  }

  async deleteEdition(edition: string): Promise<number> {
    const name = Editions.normalize(edition);
    if (Editions.isMain(name)) throw new InvalidInputError("Cannot delete main timeline checkpoints");
    let count = 0;
    for (const k of [...this.#positions.keys()]) {
      if (k.split("\u0000")[2] === name && this.#positions.delete(k)) count++;
    }
    return count;
  }
}
