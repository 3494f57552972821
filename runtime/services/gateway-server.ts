// The gateway's network face: the public Connect services on one TCP port (see listener.ts for
// the protocols). Messages up to `maxMessageBytes` (64 MiB default) each way. The operator
// services (dead letters, projection rebuilds, inspection) are not here: they live on the admin
// listener (admin-listener.ts), and the gateway answers UNIMPLEMENTED for them.
import {
  AggregateCoordinator,
  CommandGateway,
  DeadLetterService,
  EditionService,
  EventQuery,
  EventStream,
  Health,
  InspectionService,
  ProcessManagerCoordinator,
  ProjectionService,
  ProjectorCoordinator,
  SagaCoordinator,
  HealthCheckResponse_ServingStatus as ServingStatus,
  SpeculativeService,
} from "@angzarr/proto";
import type { ConnectRouter } from "@connectrpc/connect";
import type { EventBus } from "../bus/types";
import type { PageUpcaster } from "../coordinator/aggregate-pipeline";
import { commandResponseBytes } from "../coordinator/book-bytes";
import type { CommandPipeline, HandlerDirectory } from "../coordinator/ports";
import type { Speculator } from "../coordinator/speculator";
import { type Logger, log as rootLog } from "../observability/log";
import type { DeadLetterEntry, Storage } from "../storage/types";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../transport/message-limit";
import { aggregateCoordinatorService } from "./aggregate-coordinator";
import { commandGatewayService } from "./command-gateway";
import { deadLetterService } from "./dead-letter-service";
import { DEFAULT_STREAM_IDLE_MS, type RuntimeCatalog, type ServiceDeps } from "./deps";
import { editionService } from "./edition-service";
import { eventQueryService } from "./event-query";
import { eventStreamService } from "./event-stream";
import { type CommandForwarder, forwardedExecute } from "./forwarded-execute";
import type { LeanUnary } from "./h1-unary";
import { HealthBoard, healthService } from "./health";
import { inspectionService } from "./inspection-service";
import { type LeanUnaryOptions, leanUnary } from "./lean-unary";
import { type ConnectionLimits, type HttpRoutes, startListener } from "./listener";
import { projectionService } from "./projection-service";
import {
  processManagerCoordinatorService,
  projectorCoordinatorService,
  sagaCoordinatorService,
  speculativeService,
} from "./speculative-service";
import { TopologyGraph } from "./topology-map";
import type { HttpRoute } from "./unrouted";

export type { HttpRoutes } from "./listener";

export { DEFAULT_MAX_MESSAGE_BYTES };

/** What the Connect services are built from: shared by the gateway and the admin listener. */
export interface ServiceOptions {
  pipeline: CommandPipeline;
  storage: Storage;
  bus: EventBus;
  handlers: HandlerDirectory;
  /** Domains components own besides the aggregates' (process-manager state domains). */
  extraDomains?: () => string[];
  /** Idle timeout of CommandGateway.ExecuteStream, ms (default 30 000). */
  streamIdleMs?: number;
  upcast?: PageUpcaster;
  /** Dead-letter replay (the reactive host's); without it Replay answers UNIMPLEMENTED. */
  replayDeadLetter?: (entry: DeadLetterEntry) => Promise<void>;
  /** Projection rebuild (the reactive host's); without it Rebuild answers UNIMPLEMENTED. */
  rebuildProjection?: (projector: string) => Promise<number>;
  /** Components and consumer checkpoints (topology, checkpoints); absent = those answer UNIMPLEMENTED. */
  catalog?: RuntimeCatalog;
  /** Speculative runs of the reactive components (the reactive host's). */
  speculator?: Speculator;
  /** Distributed gateway: where each named reactive component's speculation is forwarded. */
  speculationPeer?: ServiceDeps["speculationPeer"];
  /** Read-model cleanup of a deleted edition (the reactive host's). */
  deleteEditionReadModels?: (edition: string) => Promise<void>;
  /** The process's topology builder, shared with its catalog (default: one made from the store). */
  topology?: TopologyGraph;
  /** Largest request or response message, bytes (default 64 MiB). */
  maxMessageBytes?: number;
  /** How long stop() lets in-flight calls finish before closing connections, ms (default 2 000). */
  shutdownGraceMs?: number;
  log?: Logger;
}

export interface GatewayOptions extends ServiceOptions, ConnectionLimits {
  /** 0 = any free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Plain HTTP routes answered before Connect: returns true when it took the request. */
  httpRoutes?: HttpRoutes;
  /** Plain HTTP GET routes answered where no RPC matches (e.g. `/topology`), by path. */
  getRoutes?: Record<string, HttpRoute>;
  /** More services on the same listener (a distributed role's peer service). */
  extraRoutes?: (router: ConnectRouter) => void;
  /** Health names reported besides the gateway's (e.g. the peer service). */
  extraHealthNames?: string[];
  /** A distributed gateway: Execute's plain calls go to the coordinators as bytes (forwarded-execute.ts). */
  forwardCommands?: CommandForwarder;
  /** More methods answered in the lean HTTP/1.1 path (a role's peer methods), by request path. */
  extraLean?: (connect: LeanUnaryOptions) => [string, LeanUnary][];
}

export interface Gateway {
  readonly port: number;
  readonly host: string;
  /** `http://host:port` */
  readonly url: string;
  readonly health: HealthBoard;
  stop(): Promise<void>;
}

/** Service names reported SERVING besides "" (wire-contract §8). */
export const GATEWAY_SERVICES = [
  CommandGateway.typeName,
  EventQuery.typeName,
  EventStream.typeName,
  AggregateCoordinator.typeName,
  SpeculativeService.typeName,
  EditionService.typeName,
  SagaCoordinator.typeName,
  ProcessManagerCoordinator.typeName,
  ProjectorCoordinator.typeName,
];

/** The operator services: served only by the admin listener. */
export const ADMIN_SERVICES = [
  DeadLetterService.typeName,
  ProjectionService.typeName,
  InspectionService.typeName,
];

/** The services' shared dependencies from the options. */
export function serviceDeps(opts: ServiceOptions, log: Logger): ServiceDeps {
  return {
    pipeline: opts.pipeline,
    storage: opts.storage,
    bus: opts.bus,
    handlers: opts.handlers,
    domains: () => [...opts.handlers.aggregateDomains(), ...(opts.extraDomains?.() ?? [])],
    streamIdleMs: opts.streamIdleMs ?? DEFAULT_STREAM_IDLE_MS,
    topology: opts.topology ?? new TopologyGraph(opts.storage.events),
    log,
    ...(opts.upcast ? { upcast: opts.upcast } : {}),
    ...(opts.replayDeadLetter ? { replayDeadLetter: opts.replayDeadLetter } : {}),
    ...(opts.rebuildProjection ? { rebuildProjection: opts.rebuildProjection } : {}),
    ...(opts.catalog ? { catalog: opts.catalog } : {}),
    ...(opts.deleteEditionReadModels ? { deleteEditionReadModels: opts.deleteEditionReadModels } : {}),
    ...(opts.speculator ? { speculator: opts.speculator } : {}),
    ...(opts.speculationPeer ? { speculationPeer: opts.speculationPeer } : {}),
  };
}

/** Registers every public gateway service on a Connect router. */
export function gatewayRoutes(deps: ServiceDeps, health: HealthBoard): (router: ConnectRouter) => void {
  return (router) => {
    router.service(CommandGateway, commandGatewayService(deps));
    router.service(EventQuery, eventQueryService(deps));
    router.service(EventStream, eventStreamService(deps));
    router.service(AggregateCoordinator, aggregateCoordinatorService(deps));
    router.service(SpeculativeService, speculativeService(deps));
    router.service(EditionService, editionService(deps));
    router.service(SagaCoordinator, sagaCoordinatorService(deps));
    router.service(ProcessManagerCoordinator, processManagerCoordinatorService(deps));
    router.service(ProjectorCoordinator, projectorCoordinatorService(deps));
    router.service(Health, healthService(health));
  };
}

/** Registers the operator services (admin listener only). */
export function adminRoutes(deps: ServiceDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(DeadLetterService, deadLetterService(deps));
    router.service(ProjectionService, projectionService(deps));
    router.service(InspectionService, inspectionService(deps));
  };
}

/** `GET /topology`: components and observed flows as JSON (the same graph GetTopology reads). */
export function topologyRoute(deps: ServiceDeps): () => Promise<{ contentType: string; body: string }> {
  const topology = deps.topology;
  return async () => {
    await topology.refresh();
    return { contentType: "application/json", body: JSON.stringify(topology.snapshot()) };
  };
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const host = opts.host ?? "127.0.0.1";
  const log = (opts.log ?? rootLog).child({ component: "gateway" });
  const deps = serviceDeps(opts, log);
  const health = new HealthBoard(["", ...GATEWAY_SERVICES, ...(opts.extraHealthNames ?? [])]);
  const listener = await startListener({
    name: "gateway",
    port: opts.port,
    host,
    routes: (router) => {
      gatewayRoutes(deps, health)(router);
      opts.extraRoutes?.(router);
    },
    // The hot path: commands over HTTP/1.1 skip Connect's generic plumbing (lean-unary.ts).
    // So are commands from a distributed gateway to an aggregate role (HandleSync).
    lean: (connect) => {
      const execute = leanUnary(
        CommandGateway,
        CommandGateway.method.execute,
        commandGatewayService(deps).execute,
        connect,
        commandResponseBytes,
      );
      return new Map([
        [
          `/${CommandGateway.typeName}/${CommandGateway.method.execute.name}`,
          opts.forwardCommands ? forwardedExecute(execute, opts.forwardCommands, connect, log) : execute,
        ],
        [
          `/${AggregateCoordinator.typeName}/${AggregateCoordinator.method.handleSync.name}`,
          leanUnary(
            AggregateCoordinator,
            AggregateCoordinator.method.handleSync,
            aggregateCoordinatorService(deps).handleSync,
            connect,
            commandResponseBytes,
          ),
        ],
        ...(opts.extraLean?.(connect) ?? []),
      ]);
    },
    maxMessageBytes: opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    shutdownGraceMs: opts.shutdownGraceMs ?? 2_000,
    ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
    ...(opts.maxConnectionsPerClient !== undefined
      ? { maxConnectionsPerClient: opts.maxConnectionsPerClient }
      : {}),
    ...(opts.httpRoutes ? { httpRoutes: opts.httpRoutes } : {}),
    getRoutes: { "/topology": topologyRoute(deps), ...opts.getRoutes },
    unroutedHint: (path) =>
      ADMIN_SERVICES.some((name) => path.startsWith(`/${name}/`))
        ? "an operator service: it is served on the admin listener (--admin-port, default 1311)"
        : undefined,
    onStopping: () => health.setAll(ServingStatus.NOT_SERVING),
    log,
  });
  return { port: listener.port, host, url: listener.url, health, stop: () => listener.stop() };
}
