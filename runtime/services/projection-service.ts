// angzarr.ext.ProjectionService: rebuild an async projection (checkpoint reset + replay).
import { RebuildProjectionResponseSchema } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { NotFoundError } from "../storage/errors";
import type { ServiceDeps } from "./deps";

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
  };
}
