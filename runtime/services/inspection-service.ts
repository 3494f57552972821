// angzarr.ext.InspectionService: the component graph with live figures, and what an aggregate holds beside its events (snapshot, correlation ids).
import {
  AggregateDescriptionSchema,
  Editions,
  InspectionService,
  SnapshotSchema,
  Uuid,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import * as E from "../coordinator/errors";
import type { ServiceDeps } from "./deps";
import { pendingAfter, topologyOf } from "./topology";
import { guarded } from "./wire-errors";

/** Each consumer's pending events over all its checkpoints. */
export async function lagByConsumer(deps: ServiceDeps): Promise<Map<string, number>> {
  const lag = new Map<string, number>();
  for (const checkpoint of (await deps.catalog?.checkpoints()) ?? []) {
    const pending = (await pendingAfter(deps.storage.events, checkpoint)).count;
    lag.set(checkpoint.consumer, (lag.get(checkpoint.consumer) ?? 0) + pending);
  }
  return lag;
}

export function inspectionService(deps: ServiceDeps): ServiceImpl<typeof InspectionService> {
  return {
    getTopology: (_request, ctx) =>
      guarded(ctx, deps.log, async () => {
        const catalog = deps.catalog;
        if (!catalog) throw new ConnectError("Topology is not available here", Code.Unimplemented);
        await deps.topology.refresh();
        const [components, lag] = await Promise.all([catalog.components(), lagByConsumer(deps)]);
        return topologyOf(components, deps.topology.observer, lag, Date.now());
      }),
    describeAggregate: (request, ctx) =>
      guarded(ctx, deps.log, async () => {
        const cover = request.cover;
        const root = cover?.root?.value;
        if (!cover || cover.domain === "" || !Uuid.isValid(root))
          throw E.invalid("DescribeAggregate needs a cover with a domain and a 16-byte root");
        const ref = { domain: cover.domain, edition: Editions.nameOf(cover.edition), root };
        const { events, snapshots } = deps.storage;
        const [stored, own, main] = await Promise.all([
          snapshots.get(ref),
          events.correlations(ref),
          ref.edition === Editions.MAIN ? [] : events.correlations({ ...ref, edition: Editions.MAIN }),
        ]);
        const bySequence = new Map([...main, ...own].map((c) => [c.sequence, c.correlationId]));
        return create(AggregateDescriptionSchema, {
          ...(stored
            ? { snapshot: create(SnapshotSchema, { sequence: stored.sequence, state: stored.state }) }
            : {}),
          correlations: [...bySequence.entries()]
            .sort(([x], [y]) => x - y)
            .map(([sequence, correlationId]) => ({ sequence, correlationId })),
        });
      }),
  };
}

export { InspectionService };
