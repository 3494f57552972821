// angzarr.ext.DeadLetterService: list parked cases and replay them (runtime.md §4–§5).
import {
  type DeadLetter,
  DeadLetterSchema,
  DiscardDeadLetterResponseSchema,
  ListDeadLettersResponseSchema,
  ReplayDeadLetterResponseSchema,
  Timestamps,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { NotFoundError } from "../storage/errors";
import type { DeadLetterEntry } from "../storage/types";
import type { ServiceDeps } from "./deps";

export function toWire(entry: DeadLetterEntry): DeadLetter {
  return create(DeadLetterSchema, {
    id: BigInt(entry.id),
    consumer: entry.consumer,
    domain: entry.domain,
    edition: entry.edition,
    root: entry.root,
    sequence: entry.sequence,
    correlationId: entry.correlationId,
    reason: entry.reason,
    payloadType: entry.payloadType,
    payload: entry.payload,
    escalated: entry.escalated,
    createdAt: Timestamps.fromMillis(entry.createdAt.getTime()),
    ...(entry.replayedAt ? { replayedAt: Timestamps.fromMillis(entry.replayedAt.getTime()) } : {}),
  });
}

export function deadLetterService(deps: ServiceDeps) {
  const store = deps.storage.deadLetters;
  return {
    async list(request: { includeReplayed: boolean; consumer: string }) {
      const entries = await store.list({
        includeReplayed: request.includeReplayed,
        ...(request.consumer ? { consumer: request.consumer } : {}),
      });
      return create(ListDeadLettersResponseSchema, { entries: entries.map(toWire) });
    },
    async replay(request: { id: bigint }) {
      const entry = await store.fetch(Number(request.id));
      if (!entry) throw new ConnectError(`No dead letter with id: ${request.id}`, Code.NotFound);
      if (!deps.replayDeadLetter)
        throw new ConnectError("Dead-letter replay is not configured", Code.Unimplemented);
      try {
        await deps.replayDeadLetter(entry);
      } catch (err) {
        if (err instanceof ConnectError) throw err;
        throw new ConnectError(`Replay failed: ${(err as Error).message}`, Code.FailedPrecondition);
      }
      const after = (await store.fetch(entry.id)) ?? entry;
      return create(ReplayDeadLetterResponseSchema, { entry: toWire(after) });
    },
    async discard(request: { id: bigint }) {
      const entry = await store.fetch(Number(request.id));
      if (!entry) throw new ConnectError(`No dead letter with id: ${request.id}`, Code.NotFound);
      try {
        await store.remove(entry.id);
      } catch (err) {
        if (err instanceof NotFoundError)
          throw new ConnectError(`No dead letter with id: ${request.id}`, Code.NotFound);
        throw err;
      }
      deps.log.info("dlq.discarded", { id: entry.id, consumer: entry.consumer });
      return create(DiscardDeadLetterResponseSchema, { entry: toWire(entry) });
    },
  };
}
