// angzarr.ext.PeerCoordinator: what the other coordinator processes of a distributed deployment
// ask this one. An aggregate role answers Run (a saga's or PM's command, exactly once per
// causation key); a saga, projector or PM role answers React (its part of SIMPLE / CASCADE).
import {
  PeerCatchUpResponseSchema,
  PeerCoordinator,
  PeerEditionResponseSchema,
  PeerReactResponseSchema,
  PeerRevocationSchema,
  PeerRunResponseSchema,
  PeerUpcastResponseSchema,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { AggregatePipeline } from "../coordinator/aggregate-pipeline";
import type { ReactiveHost } from "../coordinator/reactive-host";
import type { Upcasters } from "../coordinator/upcasting";
import type { Logger } from "../observability/log";
import { guarded } from "./wire-errors";

export interface PeerServiceDeps {
  /** Aggregate roles: the pipeline that runs commands of this role's domain. */
  pipeline?: Pick<AggregatePipeline, "run">;
  /** Aggregate roles: the domain's upcasters. */
  upcasters?: Upcasters;
  /** Saga, projector and PM roles: the host of this role's component. */
  reactive?: Pick<ReactiveHost, "react" | "deleteEditionReadModels" | "settle">;
  log: Logger;
}

export function peerCoordinatorService(deps: PeerServiceDeps): ServiceImpl<typeof PeerCoordinator> {
  return {
    run: (request, ctx) =>
      guarded(ctx, deps.log, async () => {
        if (!deps.pipeline) throw new ConnectError("this role runs no aggregate", Code.Unimplemented);
        if (!request.command)
          throw new ConnectError("PeerRunRequest must have a command", Code.InvalidArgument);
        const c = request.causation;
        const outcome = await deps.pipeline.run(
          request.command,
          c
            ? {
                causation: {
                  component: c.component,
                  domain: c.domain,
                  edition: c.edition,
                  root: c.root,
                  sequence: c.sequence,
                },
              }
            : {},
        );
        if (outcome.kind === "events") {
          return create(PeerRunResponseSchema, { outcome: { case: "events", value: outcome.book } });
        }
        return create(PeerRunResponseSchema, {
          outcome: {
            case: "revocation",
            value: create(PeerRevocationSchema, { revocation: outcome.revocation, cover: outcome.cover }),
          },
        });
      }),
    react: (request, ctx) =>
      guarded(ctx, deps.log, async () => {
        if (!deps.reactive)
          throw new ConnectError("this role hosts no reactive component", Code.Unimplemented);
        if (!request.book) throw new ConnectError("PeerReactRequest must have a book", Code.InvalidArgument);
        const step = await deps.reactive.react(request.book, request.cascade);
        return create(PeerReactResponseSchema, step);
      }),
    upcast: (request, ctx) =>
      guarded(ctx, deps.log, async () => {
        const has = deps.upcasters?.has(request.domain) ?? false;
        const pages =
          has && deps.upcasters ? await deps.upcasters.upcast(request.domain, request.pages) : request.pages;
        return create(PeerUpcastResponseSchema, { pages, upcaster: has });
      }),
    catchUp: (_request, ctx) =>
      guarded(ctx, deps.log, async () => {
        await deps.reactive?.settle();
        return create(PeerCatchUpResponseSchema);
      }),
    deleteEditionReadModels: (request, ctx) =>
      guarded(ctx, deps.log, async () => {
        await deps.reactive?.deleteEditionReadModels(request.edition);
        return create(PeerEditionResponseSchema);
      }),
  };
}

export { PeerCoordinator };
