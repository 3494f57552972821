// angzarr.ext.ProjectionService: rebuild an async projection (checkpoint reset + replay) and list
// every async consumer's checkpoints with its lag.
import {
  CheckpointSchema,
  ListCheckpointsResponseSchema,
  RebuildProjectionResponseSchema,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { NotFoundError } from "../storage/errors";
import type { ServiceDeps } from "./deps";
import { LAG_LIMIT, pendingAfter } from "./topology";

export function projectionService(deps: ServiceDeps) {
  return {
    async rebuild(request: { projector: string }) {
      if (!deps.rebuildProjection)
        throw new ConnectError("Projection rebuild is not configured", Code.Unimplemented);
      try {
        const replayed = await deps.rebuildProjection(request.projector);
        return create(RebuildProjectionResponseSchema, {
          projector: request.projector,
          replayedEvents: BigInt(replayed),
        });
      } catch (err) {
        if (err instanceof NotFoundError) throw new ConnectError(err.message, Code.NotFound);
        throw err;
      }
    },
    async listCheckpoints(request: { consumer: string }) {
      if (!deps.catalog) throw new ConnectError("Checkpoints are not available here", Code.Unimplemented);
      const head = await deps.storage.events.headPosition();
      const all = await deps.catalog.checkpoints();
      const wanted = request.consumer === "" ? all : all.filter((c) => c.consumer === request.consumer);
      const checkpoints = await Promise.all(
        wanted.map(async (c) => {
          const { count: pending, lastPosition } = await pendingAfter(deps.storage.events, c);
          return create(CheckpointSchema, {
            consumer: c.consumer,
            kind: c.kind,
            domain: c.domain,
            edition: c.edition,
            position: c.position,
            pending: BigInt(pending),
            pendingCapped: pending >= LAG_LIMIT,
            lastPosition: pending >= LAG_LIMIT ? 0n : lastPosition,
          });
        }),
      );
      return create(ListCheckpointsResponseSchema, {
        checkpoints,
        headPosition: head,
        pendingLimit: BigInt(LAG_LIMIT),
      });
    },
  };
}
