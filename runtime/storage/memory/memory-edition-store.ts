// The editions registry in memory.

import { Editions } from "@angzarr/proto";
import { clone } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { AlreadyExistsError, InvalidInputError, UnknownEditionError } from "../errors";
import type { Divergence, EditionRecord, EditionStore } from "../types";
import { checkDivergence } from "./validation";

function copyDivergence(d: Divergence): Divergence {
  return d.kind === "sequence"
    ? { kind: "sequence", sequence: d.sequence }
    : { kind: "time", time: clone(TimestampSchema, d.time) };
}

function copy(record: EditionRecord): EditionRecord {
  return {
    name: record.name,
    description: record.description,
    createdAt: new Date(record.createdAt),
    ...(record.divergence ? { divergence: copyDivergence(record.divergence) } : {}),
    ...(record.domainDivergences
      ? {
          domainDivergences: record.domainDivergences.map((d) => ({
            domain: d.domain,
            divergence: copyDivergence(d.divergence),
          })),
        }
      : {}),
  };
}

export class MemoryEditionStore implements EditionStore {
  readonly #records = new Map<string, EditionRecord>();

  async create(record: EditionRecord): Promise<void> {
    if (Editions.isMain(record.name))
      throw new InvalidInputError("Cannot create the main timeline as an edition");
    checkDivergence(record.divergence);
    for (const d of record.domainDivergences ?? []) checkDivergence(d.divergence);
    if (this.#records.has(record.name))
      throw new AlreadyExistsError(`Edition already exists: ${record.name}`);
    this.#records.set(record.name, copy(record));
  }

  async get(name: string): Promise<EditionRecord | undefined> {
    const record = this.#records.get(name);
    return record === undefined ? undefined : copy(record);
  }

  async list(): Promise<EditionRecord[]> {
    return [...this.#records.values()]
      .map(copy)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async delete(name: string): Promise<void> {
    if (!this.#records.delete(name)) throw new UnknownEditionError(name);
  }
}
