// Which timeline a cover names and where it branches from main (runtime.md §2, §8). Main needs no
// lookup. Any other edition must be registered (EditionService.CreateEdition): an unknown name is
// NOT_FOUND, a name breaking the name rule INVALID_ARGUMENT. The branch point for a domain is the
// cover's explicit `Edition.divergences` entry, else the registry's per-domain one, else the
// registry's edition-wide one, else the implicit point (the edition's own lowest sequence).
import { type Cover, Editions } from "@angzarr/proto";
import { nameProblem } from "../naming/names";
import type { AggregateRef, Divergence, EditionRecord, EditionStore } from "../storage/types";
import * as E from "./errors";

export const editionMessages = {
  unknown: (name: string) =>
    `No edition registered with name: ${name.length > 128 ? `${name.slice(0, 128)}...` : name}`,
  createMain: "Cannot create an edition named after the main timeline",
  deleteMain: "Cannot delete main timeline events",
} as const;

/** The branch point of `record` for `domain` (undefined = implicit). */
export function divergenceFor(record: EditionRecord, domain: string): Divergence | undefined {
  return record.domainDivergences?.find((d) => d.domain === domain)?.divergence ?? record.divergence;
}

/** INVALID_ARGUMENT unless `name` follows the name rule (main-timeline spellings excepted). */
export function checkEditionName(name: string): void {
  if (Editions.isMain(name)) return;
  const problem = nameProblem("edition", name);
  if (problem) throw E.invalid(problem);
}

export class EditionResolver {
  constructor(private readonly editions: EditionStore) {}

  /** The registered record of a non-main edition; INVALID_ARGUMENT / NOT_FOUND otherwise. */
  async registered(name: string): Promise<EditionRecord> {
    checkEditionName(name);
    const record = await this.editions.get(name);
    if (!record) throw E.notFound(editionMessages.unknown(name));
    return record;
  }

  /** The aggregate a cover names on its timeline (or on `edition`), with its branch point. */
  async ref(cover: Cover, edition?: string): Promise<AggregateRef> {
    const name = edition ?? Editions.nameOf(cover.edition);
    const base = { domain: cover.domain, edition: name, root: cover.root?.value ?? new Uint8Array() };
    if (name === Editions.MAIN) return base;
    const record = await this.registered(name);
    const explicit = Editions.divergenceFor(cover.edition, cover.domain);
    const divergence: Divergence | undefined =
      explicit !== undefined ? { kind: "sequence", sequence: explicit } : divergenceFor(record, cover.domain);
    return divergence === undefined ? base : { ...base, divergence };
  }
}
