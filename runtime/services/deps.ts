// What the Connect service implementations share: the pipeline, the stores, the bus, the handler
// directory and a few knobs.

import type { SpeculativeService } from "@angzarr/proto";
import type { Client } from "@connectrpc/connect";
import type { EventBus } from "../bus/types";
import type { PageUpcaster } from "../coordinator/aggregate-pipeline";
import type { CommandPipeline, HandlerDirectory } from "../coordinator/ports";
import type { ComponentKind, Speculator } from "../coordinator/speculator";
import type { Logger } from "../observability/log";
import type { DeadLetterEntry, Storage } from "../storage/types";
import type { TopologyGraph } from "./topology-map";

/** A component as an operator sees it (angzarr.ext.InspectionService). */
export interface ComponentInfo {
  /** Aggregates: their domain; others: their program name. */
  name: string;
  kind: "aggregate" | "saga" | "process_manager" | "projector";
  /** Aggregates: their domain; process managers: their state domain; others: "". */
  domain: string;
  /** Domains it consumes (from its descriptor). */
  inputs: string[];
  /** The program's state as its supervisor sees it (`ready`, `down`, ...). */
  health: string;
}

/** Where one async consumer stands on one timeline ("*" = every timeline in one cursor). */
export interface ConsumerCheckpoint {
  consumer: string;
  kind: "saga" | "process_manager" | "projector";
  domain: string;
  edition: string;
  position: bigint;
}

/** What the runtime is made of, for the inspection and projection services. */
export interface RuntimeCatalog {
  components(): Promise<ComponentInfo[]>;
  checkpoints(): Promise<ConsumerCheckpoint[]>;
}

/** Reference idle timeout of `CommandGateway.ExecuteStream` (wire-contract §7). */
export const DEFAULT_STREAM_IDLE_MS = 30_000;

export interface ServiceDeps {
  pipeline: CommandPipeline;
  storage: Storage;
  bus: EventBus;
  handlers: HandlerDirectory;
  /**
   * Every domain a component owns: aggregate domains and process-manager state domains. Queries
   * on any other business domain are NOT_FOUND unless the store holds events of it.
   */
  domains(): string[];
  /** ExecuteStream ends after this long without a new book. */
  streamIdleMs: number;
  /** Applied to pages returned by queries (runtime.md §9); identity when absent. */
  upcast?: PageUpcaster;
  /** Processes a dead-lettered case again (the reactive host); absent = replay unavailable. */
  replayDeadLetter?: (entry: DeadLetterEntry) => Promise<void>;
  /** Runs sagas, process managers and projectors speculatively (the reactive host's). */
  speculator?: Speculator;
  /**
   * Distributed gateway: the SpeculativeService of the process that hosts a named saga, PM or
   * projector (undefined when none does); speculation is forwarded there.
   */
  speculationPeer?: (
    kind: ComponentKind,
    name: string,
  ) => { speculative: Client<typeof SpeculativeService>; caughtUp(): Promise<void> } | undefined;
  /** Removes the projectors' read-model rows of a deleted edition (the reactive host). */
  deleteEditionReadModels?: (edition: string) => Promise<void>;
  /** Resets a projector's checkpoint and replays (the reactive host); resolves with the events replayed. */
  rebuildProjection?: (projector: string) => Promise<number>;
  /** Components and consumer checkpoints; absent = topology and checkpoints answer UNIMPLEMENTED. */
  catalog?: RuntimeCatalog;
  /** The one topology builder: `GET /topology` and InspectionService.GetTopology both read it. */
  topology: TopologyGraph;
  log: Logger;
}
