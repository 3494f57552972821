// SpeculativeService (runtime.md §1 dry run, §8 speculation) and the coordinator-side services of
// the reactive components, all on the gateway:
// - DryRunCommand: the aggregate pipeline's dry run.
// - SpeculateSaga / SpeculateProcessManager / SpeculateProjector: the named component on supplied
//   books, or on books read from the store (books given as a cover without pages, and whatever
//   the component prepares), now or as of the extension field `as_of`. Unknown name → NOT_FOUND
//   `No {saga|process manager|projector} registered with name: {n}`.
// - SagaCoordinator.ExecuteSpeculative, ProcessManagerCoordinator.HandleSpeculative,
//   ProjectorCoordinator.HandleSpeculative: the same, for the component named in the
//   `x-angzarr-component` header or else the only one whose inputs take the book.
// - ProjectorCoordinator.Handle / HandleSync: a real run of that projector, on the stored events the
//   book names (never on the pages sent, so a client cannot write made-up events into a read model).
// Nothing speculative persists, publishes or moves a checkpoint.
import {
  ProcessManagerCoordinator,
  ProjectorCoordinator,
  SagaCoordinator,
  SpeculativeService,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import * as E from "../coordinator/errors";
import {
  COMPONENT_HEADER,
  type ComponentKind,
  type Speculator,
  speculationMessages,
} from "../coordinator/speculator";
import type { ServiceDeps } from "./deps";
import { guarded } from "./wire-errors";

export const speculativeMessages = {
  unavailable: "Speculation needs the reactive components, which this gateway does not host",
} as const;

function speculator(deps: ServiceDeps): Speculator {
  if (!deps.speculator) throw E.notFound(speculativeMessages.unavailable);
  return deps.speculator;
}

const named = (ctx: HandlerContext) => ctx.requestHeader.get(COMPONENT_HEADER) ?? undefined;

/** The process hosting the named component, or NOT_FOUND as the local speculator says it. */
async function forwardTo(deps: ServiceDeps, kind: ComponentKind, name: string) {
  const peer = deps.speculationPeer?.(kind, name);
  if (!peer) throw E.notFound(speculationMessages.unknown(kind, name));
  await peer.caughtUp();
  return peer.speculative;
}

export function speculativeService(deps: ServiceDeps): ServiceImpl<typeof SpeculativeService> {
  if (deps.speculationPeer) {
    return {
      dryRunCommand: (request, ctx) => guarded(ctx, deps.log, () => deps.pipeline.dryRun(request)),
      speculateSaga: (request, ctx) =>
        guarded(ctx, deps.log, async () =>
          (await forwardTo(deps, "saga", request.sagaName)).speculateSaga(request),
        ),
      speculateProcessManager: (request, ctx) =>
        guarded(ctx, deps.log, async () =>
          (await forwardTo(deps, "process manager", request.pmName)).speculateProcessManager(request),
        ),
      speculateProjector: (request, ctx) =>
        guarded(ctx, deps.log, async () =>
          (await forwardTo(deps, "projector", request.projectorName)).speculateProjector(request),
        ),
    };
  }
  return {
    dryRunCommand: (request, ctx) => guarded(ctx, deps.log, () => deps.pipeline.dryRun(request)),
    speculateSaga: (request, ctx) =>
      guarded(ctx, deps.log, () =>
        speculator(deps).speculateSaga(request.sagaName, request.source, request.destinations, request.asOf),
      ),
    speculateProcessManager: (request, ctx) =>
      guarded(ctx, deps.log, () =>
        speculator(deps).speculateProcessManager(
          request.pmName,
          request.trigger,
          request.processState,
          request.destinations,
          request.asOf,
        ),
      ),
    speculateProjector: (request, ctx) =>
      guarded(ctx, deps.log, () =>
        speculator(deps).speculateProjector(request.projectorName, request.events, request.asOf),
      ),
  };
}

export function sagaCoordinatorService(deps: ServiceDeps): ServiceImpl<typeof SagaCoordinator> {
  return {
    executeSpeculative: (request, ctx) =>
      guarded(ctx, deps.log, () => {
        const s = speculator(deps);
        const name = s.pick("saga", named(ctx), request.source);
        return s.speculateSaga(name, request.source, request.destinations);
      }),
  };
}

export function processManagerCoordinatorService(
  deps: ServiceDeps,
): ServiceImpl<typeof ProcessManagerCoordinator> {
  return {
    handleSpeculative: (request, ctx) =>
      guarded(ctx, deps.log, () => {
        const s = speculator(deps);
        const name = s.pick("process manager", named(ctx), request.trigger);
        return s.speculateProcessManager(name, request.trigger, request.processState, request.destinations);
      }),
  };
}

export function projectorCoordinatorService(deps: ServiceDeps): ServiceImpl<typeof ProjectorCoordinator> {
  return {
    handleSpeculative: (request, ctx) =>
      guarded(ctx, deps.log, () => {
        const s = speculator(deps);
        return s.speculateProjector(s.pick("projector", named(ctx), request), request);
      }),
    handleSync: (request, ctx) =>
      guarded(ctx, deps.log, () => {
        const s = speculator(deps);
        return s.project(s.pick("projector", named(ctx), request.events), request.events);
      }),
    handle: (request, ctx) =>
      guarded(ctx, deps.log, async () => {
        const s = speculator(deps);
        await s.project(s.pick("projector", named(ctx), request), request);
        return create(EmptySchema);
      }),
  };
}

export { ProcessManagerCoordinator, ProjectorCoordinator, SagaCoordinator, SpeculativeService };
