// An in-memory Storage: every port, no persistence. The reference semantics for the backends
// and the store behind unit tests.
import type { Storage } from "../types";
import { MemoryCausationStore } from "./memory-causation-store";
import { MemoryDeadLetterStore } from "./memory-dead-letter-store";
import { MemoryEditionStore } from "./memory-edition-store";
import { MemoryEventStore } from "./memory-event-store";
import { MemoryPositionStore } from "./memory-position-store";
import { MemorySnapshotStore } from "./memory-snapshot-store";

export function createMemoryStorage(): Storage {
  const snapshots = new MemorySnapshotStore();
  const causations = new MemoryCausationStore();
  return {
    backend: "memory",
    events: new MemoryEventStore(snapshots, causations),
    snapshots,
    positions: new MemoryPositionStore(),
    deadLetters: new MemoryDeadLetterStore(),
    causations,
    editions: new MemoryEditionStore(),
    close: async () => {},
  };
}
