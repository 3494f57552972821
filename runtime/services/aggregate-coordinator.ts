// AggregateCoordinator (Handle, HandleSync, DryRunHandle): thin adapters over the aggregate
// pipeline. The coordinator reports unknown domains with its own
// message (`No handler registered for domain: {d}`), raised by the pipeline.
import { AggregateCoordinator, SyncMode } from "@angzarr/proto";
import type { ServiceImpl } from "@connectrpc/connect";
import * as E from "../coordinator/errors";
import { normalizeSyncMode } from "./command-gateway";
import type { ServiceDeps } from "./deps";
import { guarded } from "./wire-errors";

export function aggregateCoordinatorService(deps: ServiceDeps): ServiceImpl<typeof AggregateCoordinator> {
  return {
    handle: (request, ctx) => guarded(ctx, deps.log, () => deps.pipeline.execute(request, SyncMode.NONE)),
    handleSync: (request, ctx) =>
      guarded(ctx, deps.log, () => {
        if (!request.command) throw E.invalid(E.Messages.syncNoCommand);
        return deps.pipeline.execute(request.command, normalizeSyncMode(request.syncMode));
      }),
    dryRunHandle: (request, ctx) => guarded(ctx, deps.log, () => deps.pipeline.dryRun(request)),
  };
}

export { AggregateCoordinator };
