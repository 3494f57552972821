// EditionService (runtime.md §8): the registry of named timelines.
//
// CreateEdition(name, divergence_point, description): the name follows the name rule and is not a
// spelling of the main timeline. `divergence_point` is where the edition branches from main for
// every domain: `as_of_sequence = n` inherits main pages 0..n (the edition's first own sequence is
// n + 1), `as_of_time = t` inherits main pages created at or before t; absent = the implicit point
// (the edition's own lowest sequence). The extension map `domain_divergences` gives single domains
// their own point the same way. A duplicate name is ALREADY_EXISTS.
// ListEditions: every registered edition, with its branch points and (extension `event_counts`)
// the number of events written into it per domain.
// DeleteEdition(name): the main timeline is refused (INVALID_ARGUMENT); a name neither registered
// nor holding events is NOT_FOUND. Otherwise the registry entry goes first (new commands into the
// edition are refused from then on), then its events and snapshots in every domain, the consumers'
// checkpoints and causation records on it, and the projectors' read-model rows for it. Deleting
// again after a failure part-way finishes the job.
import {
  type CreateEditionRequest,
  CreateEditionResponseSchema,
  DeleteEditionResponseSchema,
  EditionInfoSchema,
  EditionService,
  Editions,
  ListEditionsResponseSchema,
  type TemporalQuery,
  TemporalQuerySchema,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { checkEditionName, editionMessages } from "../coordinator/editions";
import * as E from "../coordinator/errors";
import { MAX_SEQUENCE, UnknownEditionError } from "../storage/errors";
import type { Divergence, EditionRecord } from "../storage/types";
import type { ServiceDeps } from "./deps";
import { guarded } from "./wire-errors";

export const editionServiceMessages = {
  ...editionMessages,
  duplicate: (name: string) => `Edition already exists: ${name}`,
  emptyPoint: (where: string) => `${where} must specify as_of_time or as_of_sequence`,
  noName: "CreateEditionRequest must have a name",
} as const;

/** A TemporalQuery branch point as the store keeps it (first owned sequence, or a time). */
export function divergenceOf(point: TemporalQuery | undefined, where: string): Divergence | undefined {
  if (point === undefined) return undefined;
  const p = point.pointInTime;
  if (p.case === "asOfSequence") return { kind: "sequence", sequence: Math.min(p.value + 1, MAX_SEQUENCE) };
  if (p.case === "asOfTime") return { kind: "time", time: p.value };
  throw E.invalid(editionServiceMessages.emptyPoint(where));
}

/** The stored branch point back as a TemporalQuery (sequence s → as of s − 1). */
export function pointOf(divergence: Divergence | undefined): TemporalQuery | undefined {
  if (divergence === undefined) return undefined;
  if (divergence.kind === "time") {
    return create(TemporalQuerySchema, { pointInTime: { case: "asOfTime", value: divergence.time } });
  }
  // Sequence 0 (inherit nothing) has no "as of" spelling; it is never created through this service.
  const value = Math.max(divergence.sequence - 1, 0);
  return create(TemporalQuerySchema, { pointInTime: { case: "asOfSequence", value } });
}

function recordOf(request: CreateEditionRequest): EditionRecord {
  if (request.name === "") throw E.invalid(editionServiceMessages.noName);
  if (Editions.isMain(request.name)) throw E.invalid(editionServiceMessages.createMain);
  checkEditionName(request.name);
  const divergence = divergenceOf(request.divergencePoint, "divergence_point");
  const domains = Object.entries(request.domainDivergences)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([domain, point]) => {
      if (domain === "") throw E.invalid("domain_divergences keys must be domain names");
      const d = divergenceOf(point, `domain_divergences[${domain}]`);
      if (d === undefined)
        throw E.invalid(editionServiceMessages.emptyPoint(`domain_divergences[${domain}]`));
      return { domain, divergence: d };
    });
  return {
    name: request.name,
    description: request.description,
    createdAt: new Date(),
    ...(divergence ? { divergence } : {}),
    ...(domains.length > 0 ? { domainDivergences: domains } : {}),
  };
}

function storeError(err: unknown): unknown {
  if (!(err instanceof Error) || !("kind" in err)) return err;
  switch ((err as { kind: string }).kind) {
    case "already_exists":
      return E.alreadyExists(err.message);
    case "invalid":
      return E.invalid(err.message);
    case "not_found":
      return E.notFound(err.message);
    default:
      return E.internal(`Edition registry failed: ${err.message}`);
  }
}

async function deleteEdition(deps: ServiceDeps, name: string): Promise<void> {
  if (Editions.isMain(name)) throw E.invalid(editionMessages.deleteMain);
  checkEditionName(name);
  const { storage } = deps;
  const record = await storage.editions.get(name);
  const counts = await storage.events.countEdition(name);
  if (!record && counts.length === 0) throw E.notFound(editionMessages.unknown(name));
  if (record) {
    try {
      await storage.editions.delete(name);
    } catch (err) {
      if (!(err instanceof UnknownEditionError)) throw err; // deleted meanwhile: carry on
    }
  }
  const domains = new Set([...counts.map((c) => c.domain), ...(await storage.events.listDomains())]);
  let events = 0;
  for (const domain of domains) {
    events += await storage.events.deleteEdition(domain, name);
    await storage.snapshots.deleteEdition(domain, name);
  }
  await storage.positions.deleteEdition(name);
  await storage.causations.deleteEdition(name);
  await deps.deleteEditionReadModels?.(name);
  deps.log.info("edition.deleted", { edition: name, events });
}

export function editionService(deps: ServiceDeps): ServiceImpl<typeof EditionService> {
  const wrap = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw storeError(err);
    }
  };
  return {
    createEdition: (request, ctx) =>
      guarded(ctx, deps.log, () =>
        wrap(async () => {
          const record = recordOf(request);
          try {
            await deps.storage.editions.create(record);
          } catch (err) {
            if (err instanceof Error && (err as { kind?: string }).kind === "already_exists") {
              throw E.alreadyExists(editionServiceMessages.duplicate(record.name));
            }
            throw err;
          }
          deps.log.info("edition.created", { edition: record.name });
          return create(CreateEditionResponseSchema, {
            name: record.name,
            createdAt: record.createdAt.toISOString(),
          });
        }),
      ),
    listEditions: (_request, ctx) =>
      guarded(ctx, deps.log, () =>
        wrap(async () => {
          const records = await deps.storage.editions.list();
          const editions = [];
          for (const record of records) {
            const counts = await deps.storage.events.countEdition(record.name);
            const point = pointOf(record.divergence);
            editions.push(
              create(EditionInfoSchema, {
                name: record.name,
                createdAt: record.createdAt.toISOString(),
                description: record.description,
                ...(point ? { divergencePoint: point } : {}),
                domainDivergences: Object.fromEntries(
                  (record.domainDivergences ?? []).map((d) => [
                    d.domain,
                    pointOf(d.divergence) as TemporalQuery,
                  ]),
                ),
                eventCounts: Object.fromEntries(counts.map((c) => [c.domain, c.events])),
              }),
            );
          }
          return create(ListEditionsResponseSchema, { editions });
        }),
      ),
    deleteEdition: (request, ctx) =>
      guarded(ctx, deps.log, () =>
        wrap(async () => {
          await deleteEdition(deps, request.name);
          return create(DeleteEditionResponseSchema);
        }),
      ),
  };
}

export { EditionService };
