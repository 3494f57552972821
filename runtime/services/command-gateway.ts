// CommandGateway (wire-contract §7, runtime.md §1, §8): routes client commands by
// `cover.domain` into the aggregate pipeline. ExecuteStream subscribes to the command's
// correlation id before executing, then streams the command's events and every later book with
// that id, each event once, until the client goes away or the stream sits idle.
import {
  type CommandBook,
  CommandBookSchema,
  CommandBooks,
  CommandGateway,
  CoverSchema,
  type EventBook,
  SyncMode,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import * as E from "../coordinator/errors";
import { upcastBook } from "../coordinator/upcasting";
import { shown } from "../naming/names";
import { openCorrelationFeed, PageLedger } from "./correlation-feed";
import type { ServiceDeps } from "./deps";
import { guarded, guardedStream } from "./wire-errors";

export const gatewayMessages = {
  unknownService: (domain: string) => `No service registered for domain: ${shown(domain)}`,
} as const;

/** Unknown SyncMode numbers read as SIMPLE (wire-contract §3.7). */
export function normalizeSyncMode(mode: number): SyncMode {
  return mode === SyncMode.NONE || mode === SyncMode.CASCADE ? mode : SyncMode.SIMPLE;
}

/** Gateway-level routing check; everything else is validated by the pipeline. */
function route(deps: ServiceDeps, book: CommandBook): void {
  const cover = book.cover;
  if (!cover) throw E.invalid(E.Messages.noCover);
  if (!deps.handlers.aggregateDomains().includes(cover.domain)) {
    E.checkDomainName(cover.domain);
    throw E.notFound(gatewayMessages.unknownService(cover.domain));
  }
}

/** The book with its correlation id filled as the pipeline would fill it (runtime.md §1 step 2). */
function withCorrelation(book: CommandBook): { book: CommandBook; correlationId: string } {
  const cover = book.cover ?? create(CoverSchema);
  if (cover.correlationId !== "") return { book, correlationId: cover.correlationId };
  const correlationId = CommandBooks.deriveCorrelationId(book);
  return {
    book: create(CommandBookSchema, { ...book, cover: create(CoverSchema, { ...cover, correlationId }) }),
    correlationId,
  };
}

async function* executeStream(deps: ServiceDeps, request: CommandBook, ctx: HandlerContext) {
  route(deps, request);
  const { book, correlationId } = withCorrelation(request);
  const feed = openCorrelationFeed(deps.bus, correlationId, "gateway.execute-stream");
  const ledger = new PageLedger();
  try {
    await feed.ready();
    const response = await deps.pipeline.execute(book, SyncMode.NONE);
    const own: EventBook | undefined = response.events;
    if (own) {
      ledger.admit(own);
      yield await upcastBook(deps.upcast, own);
    }
    for (;;) {
      const next = await feed.queue.next(deps.streamIdleMs, ctx.signal);
      if (next === undefined) break;
      const fresh = ledger.admit(next);
      if (fresh) yield await upcastBook(deps.upcast, fresh);
    }
    deps.log.debug("gateway.stream_end", {
      correlationId,
      reason: ctx.signal.aborted ? "cancelled" : "idle",
    });
  } finally {
    feed.close();
  }
}

export function commandGatewayService(deps: ServiceDeps): ServiceImpl<typeof CommandGateway> {
  return {
    execute: (request, ctx) =>
      guarded(ctx, deps.log, () => {
        route(deps, request);
        return deps.pipeline.execute(request, SyncMode.NONE);
      }),
    executeSync: (request, ctx) =>
      guarded(ctx, deps.log, () => {
        const command = request.command;
        if (!command) throw E.invalid(E.Messages.syncNoCommand);
        route(deps, command);
        return deps.pipeline.execute(command, normalizeSyncMode(request.syncMode));
      }),
    executeStream: (request, ctx) => guardedStream(ctx, deps.log, () => executeStream(deps, request, ctx)),
  };
}

export { CommandGateway };
