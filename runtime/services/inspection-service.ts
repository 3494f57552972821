// angzarr.ext.InspectionService: the component graph with live figures, and stored snapshots.
import { Editions, GetSnapshotResponseSchema, InspectionService, SnapshotSchema, Uuid } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import * as E from "../coordinator/errors";
import type { ServiceDeps } from "./deps";
import { FlowObserver, pendingAfter, topologyOf } from "./topology";
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
  const observer = new FlowObserver();
  return {
    getTopology: (_request, ctx) =>
      guarded(ctx, deps.log, async () => {
        const catalog = deps.catalog;
        if (!catalog) throw new ConnectError("Topology is not available here", Code.Unimplemented);
        await observer.catchUp(deps.storage.events);
        const [components, lag] = await Promise.all([catalog.components(), lagByConsumer(deps)]);
        return topologyOf(components, observer, lag, Date.now());
      }),
    getSnapshot: (request, ctx) =>
      guarded(ctx, deps.log, async () => {
        const cover = request.cover;
        const root = cover?.root?.value;
        if (!cover || cover.domain === "" || !Uuid.isValid(root))
          throw E.invalid("GetSnapshot needs a cover with a domain and a 16-byte root");
        const stored = await deps.storage.snapshots.get({
          domain: cover.domain,
          edition: Editions.nameOf(cover.edition),
          root,
        });
        return create(
          GetSnapshotResponseSchema,
          stored
            ? { snapshot: create(SnapshotSchema, { sequence: stored.sequence, state: stored.state }) }
            : {},
        );
      }),
  };
}

export { InspectionService };
