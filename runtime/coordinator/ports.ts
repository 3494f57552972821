// What the coordinators need from the outside, as interfaces: handler programs (however they
// are reached), the bus and the stores. Concrete transports and backends are adapters.
import type { BusinessResponse, ComponentDescriptor, ContextualCommand, Projection } from "@angzarr/proto";
import type { CallOptions, RequestBody } from "@angzarr/sdk";
import type { AggregatePipeline } from "./aggregate-pipeline";

/** One aggregate handler program (`Aggregate` service). */
export interface AggregateHandler {
  handle(request: ContextualCommand, options?: CallOptions): Promise<BusinessResponse>;
  /**
   * Optional: `handle` with the request already encoded (the pipeline's fast path splices stored
   * page bytes into it; a large request comes as its parts, in order, never joined by the
   * pipeline). Same answer as `handle` on the decoded request.
   */
  handleEncoded?(request: RequestBody, options?: CallOptions): Promise<BusinessResponse>;
  descriptor(options?: CallOptions): Promise<ComponentDescriptor>;
}

/** Looks up handler programs by domain / name. */
export interface HandlerDirectory {
  aggregate(domain: string): AggregateHandler | undefined;
  aggregateDomains(): string[];
}

/** Runs the domain's synchronous projectors for one persisted book (SYNC_MODE_SIMPLE and up). */
export type SyncProjectorRunner = (book: import("@angzarr/proto").EventBook) => Promise<Projection[]>;

/**
 * What runs commands: the aggregate pipeline in this process, or (distributed mode) the aggregate
 * coordinator of the command's domain in another process.
 */
export type CommandPipeline = Pick<AggregatePipeline, "execute" | "dryRun" | "run" | "editions">;

/** What sagas and process managers need to send commands and resolve timelines. */
export type CommandRunner = Pick<AggregatePipeline, "run" | "editions">;
