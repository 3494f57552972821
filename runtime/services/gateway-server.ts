// The gateway's network face: every coordinator-side Connect service on one TCP port.
//
// One listener serves gRPC, gRPC-Web and Connect (binary) over HTTP/2 cleartext (h2c, prior
// knowledge: grpcio, grpc-go, tonic, connect-node with httpVersion "2"), and Connect / gRPC-Web
// over HTTP/1.1 on the same port: each accepted socket is sniffed for the HTTP/2 client preface
// ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") and handed to a node:http2 server or a node:http server
// sharing one connect-node adapter. Messages up to `maxMessageBytes` (64 MiB default) each way.
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
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
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { EventBus } from "../bus/types";
import type { AggregatePipeline, PageUpcaster } from "../coordinator/aggregate-pipeline";
import type { HandlerDirectory } from "../coordinator/ports";
import type { Speculator } from "../coordinator/speculator";
import { type Logger, log as rootLog } from "../observability/log";
import type { DeadLetterEntry, Storage } from "../storage/types";
import { aggregateCoordinatorService } from "./aggregate-coordinator";
import { commandGatewayService } from "./command-gateway";
import { deadLetterService } from "./dead-letter-service";
import { DEFAULT_STREAM_IDLE_MS, type RuntimeCatalog, type ServiceDeps } from "./deps";
import { editionService } from "./edition-service";
import { eventQueryService } from "./event-query";
import { eventStreamService } from "./event-stream";
import { HealthBoard, healthService } from "./health";
import { inspectionService } from "./inspection-service";
import { projectionService } from "./projection-service";
import {
  processManagerCoordinatorService,
  projectorCoordinatorService,
  sagaCoordinatorService,
  speculativeService,
} from "./speculative-service";
import { TopologyGraph } from "./topology-map";
import { type HttpRoute, unroutedHandler } from "./unrouted";

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const SNIFF_TIMEOUT_MS = 10_000;

export interface GatewayOptions {
  /** 0 = any free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  pipeline: AggregatePipeline;
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
  /**
   * Plain HTTP routes answered before Connect (the console's page): returns true when it took
   * the request.
   */
  httpRoutes?: HttpRoutes;
  /** Plain HTTP GET routes answered where no RPC matches (e.g. `/topology`), by path. */
  getRoutes?: Record<string, HttpRoute>;
  /** Speculative runs of the reactive components (the reactive host's). */
  speculator?: Speculator;
  /** Read-model cleanup of a deleted edition (the reactive host's). */
  deleteEditionReadModels?: (edition: string) => Promise<void>;
  /** Largest request or response message, bytes (default 64 MiB). */
  maxMessageBytes?: number;
  /** How long stop() lets in-flight calls finish before closing connections, ms (default 2 000). */
  shutdownGraceMs?: number;
  log?: Logger;
}

export type HttpRoutes = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => boolean;

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

/** Registers every gateway service on a Connect router. */
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
    router.service(DeadLetterService, deadLetterService(deps));
    router.service(ProjectionService, projectionService(deps));
    router.service(InspectionService, inspectionService(deps));
  };
}

type Verdict = "h2" | "h1" | "undecided";

function classify(head: Buffer): Verdict {
  const n = Math.min(head.length, HTTP2_PREFACE.length);
  if (!head.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n))) return "h1";
  return n === HTTP2_PREFACE.length ? "h2" : "undecided";
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const host = opts.host ?? "127.0.0.1";
  const log = (opts.log ?? rootLog).child({ component: "gateway" });
  const maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const graceMs = opts.shutdownGraceMs ?? 2_000;
  const deps: ServiceDeps = {
    pipeline: opts.pipeline,
    storage: opts.storage,
    bus: opts.bus,
    handlers: opts.handlers,
    domains: () => [...opts.handlers.aggregateDomains(), ...(opts.extraDomains?.() ?? [])],
    streamIdleMs: opts.streamIdleMs ?? DEFAULT_STREAM_IDLE_MS,
    log,
    ...(opts.upcast ? { upcast: opts.upcast } : {}),
    ...(opts.replayDeadLetter ? { replayDeadLetter: opts.replayDeadLetter } : {}),
    ...(opts.rebuildProjection ? { rebuildProjection: opts.rebuildProjection } : {}),
    ...(opts.catalog ? { catalog: opts.catalog } : {}),
    ...(opts.deleteEditionReadModels ? { deleteEditionReadModels: opts.deleteEditionReadModels } : {}),
    ...(opts.speculator ? { speculator: opts.speculator } : {}),
  };
  const health = new HealthBoard(["", ...GATEWAY_SERVICES]);
  const topology = new TopologyGraph(opts.storage.events);
  const shutdown = new AbortController();
  const adapter = connectNodeAdapter({
    routes: gatewayRoutes(deps, health),
    readMaxBytes: maxBytes,
    writeMaxBytes: maxBytes,
    shutdownSignal: shutdown.signal,
    fallback: unroutedHandler({
      "/topology": async () => {
        await topology.refresh();
        return { contentType: "application/json", body: JSON.stringify(topology.snapshot()) };
      },
      ...opts.getRoutes,
    }),
  });

  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  let h1InFlight = 0;

  const routes = opts.httpRoutes;
  const h2 = http2.createServer(
    { maxSessionMemory: Math.max(10, Math.ceil((maxBytes * 2) / 2 ** 20)) },
    (req, res) => {
      if (routes?.(req, res)) return;
      adapter(req, res);
    },
  );
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    session.on("error", (err) => log.debug("gateway.session_error", { error: err.message }));
  });
  const h1 = http.createServer((req, res) => {
    h1InFlight++;
    res.once("close", () => h1InFlight--);
    if (routes?.(req, res)) return;
    adapter(req, res);
  });
  h1.on("clientError", (err, socket) => {
    log.debug("gateway.http1_client_error", { error: err.message });
    socket.destroy();
  });

  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", (err) => log.debug("gateway.socket_error", { error: err.message }));
    socket.setNoDelay(true);
    let head: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), SNIFF_TIMEOUT_MS);
    const onReadable = () => {
      for (let chunk: Buffer | null = socket.read(); chunk !== null; chunk = socket.read()) {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      }
      const verdict = classify(head);
      if (verdict === "undecided") return;
      clearTimeout(timer);
      socket.off("readable", onReadable);
      socket.off("end", onEnd);
      socket.unshift(head);
      (verdict === "h2" ? h2 : h1).emit("connection", socket);
    };
    const onEnd = () => {
      clearTimeout(timer);
      socket.destroy();
    };
    socket.on("readable", onReadable);
    socket.once("end", onEnd);
  });
  tcp.on("error", (err) => log.error("gateway.listener_error", { error: err.message }));

  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(opts.port, host, () => {
      tcp.off("error", reject);
      resolve();
    });
  });
  const address = tcp.address() as net.AddressInfo;
  const port = address.port;
  log.info("gateway.listening", { host, port });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      health.setAll(ServingStatus.NOT_SERVING);
      shutdown.abort();
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      for (const session of sessions) session.close();
      const deadline = Date.now() + graceMs;
      while ((sessions.size > 0 || h1InFlight > 0) && Date.now() < deadline) await Bun.sleep(10);
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      await closed;
      log.info("gateway.stopped", { port });
    })();
    return stopping;
  };

  return { port, host, url: `http://${host}:${port}`, health, stop };
}
