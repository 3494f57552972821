// The scrape-time figures of a running runtime, read from its stores and its supervisor: each
// consumer's backlog (events and age of the oldest), unreplayed dead letters, program restarts.
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { RuntimeCatalog } from "../services/deps";
import { LAG_LIMIT } from "../services/topology";
import type { Storage } from "../storage/types";
import type { ConsumerLag, RuntimeGauges } from "./metrics";

export interface GaugeSources {
  storage: Storage;
  catalog?: RuntimeCatalog;
  /** Restarts per program name. */
  restarts?: () => Map<string, number>;
  /**
   * The consumers whose dead letters this process reports (a distributed role: its own); absent =
   * every consumer with a checkpoint or a dead letter.
   */
  consumers?: string[];
  now?: () => number;
}

export function runtimeGauges(sources: GaugeSources): RuntimeGauges {
  const now = sources.now ?? Date.now;
  return {
    async consumerLag() {
      const totals = new Map<string, ConsumerLag>();
      for (const checkpoint of (await sources.catalog?.checkpoints()) ?? []) {
        const filter = {
          domain: checkpoint.domain,
          ...(checkpoint.edition === "*" ? {} : { edition: checkpoint.edition }),
        };
        const pending = await sources.storage.events.readAll(checkpoint.position, LAG_LIMIT, filter);
        const lag = totals.get(checkpoint.consumer) ?? {
          consumer: checkpoint.consumer,
          events: 0,
          seconds: 0,
        };
        lag.events += pending.length;
        const oldest = pending[0]?.page.createdAt;
        if (oldest) lag.seconds = Math.max(lag.seconds, Math.max(0, now() - timestampMs(oldest)) / 1000);
        totals.set(checkpoint.consumer, lag);
      }
      return [...totals.values()];
    },
    async deadLetters() {
      // Every consumer appears, with 0 when it has nothing parked (an absent series alerts nobody).
      const counts = new Map<string, number>();
      for (const checkpoint of (await sources.catalog?.checkpoints()) ?? [])
        counts.set(checkpoint.consumer, 0);
      const own = sources.consumers === undefined ? undefined : new Set(sources.consumers);
      for (const name of own ?? []) counts.set(name, counts.get(name) ?? 0);
      for (const entry of await sources.storage.deadLetters.list()) {
        if (own && !own.has(entry.consumer)) continue;
        counts.set(entry.consumer, (counts.get(entry.consumer) ?? 0) + 1);
      }
      return counts;
    },
    restarts: () => sources.restarts?.() ?? new Map(),
  };
}
