// An in-memory Storage: every port, no persistence. The reference semantics for the backends
// and the store behind unit tests.
import type { Storage } from "../types";
import { MemoryCausationStore } from "./memory-causation-store";
import { MemoryDeadLetterStore } from "./memory-dead-letter-store";
import { MemoryEditionStore } from "./memory-edition-store";
import { MemoryEventStore } from "./memory-event-store";
import { MemoryOutboxStore } from "./memory-outbox-store";
import { MemoryPositionStore } from "./memory-position-store";
import { MemorySnapshotStore } from "./memory-snapshot-store";

export function createMemoryStorage(): Storage {
  const snapshots = new MemorySnapshotStore();
  const causations = new MemoryCausationStore();
  const events = new MemoryEventStore(snapshots, causations);
  const deadLetters = new MemoryDeadLetterStore();
  return {
    backend: "memory",
    events,
    snapshots,
    positions: new MemoryPositionStore(),
    deadLetters,
    causations,
    editions: new MemoryEditionStore(),
    outbox: new MemoryOutboxStore(events, causations, deadLetters),
    close: async () => {},
  };
}
