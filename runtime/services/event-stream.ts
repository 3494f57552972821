// EventStream.Subscribe (runtime.md §8): live books with one correlation id, no replay, until the
// client cancels or the server shuts down. Books are upcast (runtime.md §9).
import { EventStream } from "@angzarr/proto";
import type { ServiceImpl } from "@connectrpc/connect";
import * as E from "../coordinator/errors";
import { upcastBook } from "../coordinator/upcasting";
import { openCorrelationFeed } from "./correlation-feed";
import type { ServiceDeps } from "./deps";
import { guardedStream } from "./wire-errors";

export const streamMessages = {
  noCorrelation: "correlation_id is required for event stream subscription",
} as const;

export function eventStreamService(deps: ServiceDeps): ServiceImpl<typeof EventStream> {
  return {
    subscribe: (request, ctx) =>
      guardedStream(ctx, deps.log, async function* () {
        if (request.correlationId === "") throw E.invalid(streamMessages.noCorrelation);
        const feed = openCorrelationFeed(deps.bus, request.correlationId, "event-stream.subscribe");
        try {
          for (;;) {
            const book = await feed.queue.next(Number.POSITIVE_INFINITY, ctx.signal);
            if (book === undefined) return;
            yield await upcastBook(deps.upcast, book);
          }
        } finally {
          feed.close();
        }
      }),
  };
}

export { EventStream };
