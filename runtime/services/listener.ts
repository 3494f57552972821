// One TCP port that speaks every Connect protocol: the shared network face of the gateway and of
// the admin listener.
//
// gRPC, gRPC-Web and Connect (binary) over HTTP/2 cleartext (h2c, prior knowledge: grpcio,
// grpc-go, tonic, connect-node with httpVersion "2"), and Connect / gRPC-Web over HTTP/1.1 on the
// same port: each accepted socket is sniffed for the HTTP/2 client preface
// ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") and handed to a node:http2 server or a node:http server
// sharing one connect-node adapter.
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ConnectRouterOptions,
  createConnectRouter,
  type HandlerContext,
} from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip, connectNodeAdapter } from "@connectrpc/connect-node";
import { boundedMessage } from "../naming/names";
import type { Logger } from "../observability/log";
import { traceInterceptor } from "../observability/tracing";
import { type LeanUnary, serveH1Unary } from "./h1-unary";
import type { LeanUnaryOptions } from "./lean-unary";
import { runtimeTypeRegistry } from "./type-registry";
import { type HttpRoute, unroutedHandler } from "./unrouted";

const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const SNIFF_TIMEOUT_MS = 10_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 512;

/** Connection limits of one listener. */
export interface ConnectionLimits {
  /**
   * A connection with no call in progress for this long is closed (HTTP/2: GOAWAY), also one
   * that never sent a complete request (a bare preface, half a header). Default 60 s.
   */
  idleTimeoutMs?: number;
  /** Open connections allowed from one client address; more are closed at once. Default 512. */
  maxConnectionsPerClient?: number;
}

export type HttpRoutes = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => boolean;

export interface ListenerOptions extends ConnectionLimits {
  /** Log event prefix and component name (`gateway`, `admin`). */
  name: string;
  /** 0 = any free port. */
  port: number;
  host: string;
  routes: (router: ConnectRouter) => void;
  /** Largest request message, bytes (responses may be twice as large). */
  maxMessageBytes: number;
  /**
   * Unary methods also answered without Connect's plumbing over HTTP/1.1 (lean-unary.ts), built
   * from this listener's Connect options; by request path.
   */
  lean?: (options: LeanUnaryOptions) => ReadonlyMap<string, LeanUnary>;
  /** Runs before any request body is read; throw a ConnectError to refuse the call. */
  requestGate?: (context: HandlerContext) => void | Promise<void>;
  /** Plain HTTP handlers tried before Connect: returns true when it took the request. */
  httpRoutes?: HttpRoutes;
  /** Plain HTTP GET routes answered where no RPC matches, by path. */
  getRoutes?: Record<string, HttpRoute>;
  /** Extra words for an UNIMPLEMENTED answer on this path (where the method is served instead). */
  unroutedHint?: (path: string) => string | undefined;
  /** How long stop() lets in-flight calls finish before closing connections, ms. */
  shutdownGraceMs: number;
  /** Called when stop() begins (before connections close). */
  onStopping?: () => void;
  log: Logger;
}

export interface Listener {
  readonly port: number;
  readonly host: string;
  /** `http://host:port` */
  readonly url: string;
  stop(): Promise<void>;
}

type Verdict = "h2" | "h1" | "undecided";

function classify(head: Buffer): Verdict {
  const n = Math.min(head.length, HTTP2_PREFACE.length);
  if (!head.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n))) return "h1";
  return n === HTTP2_PREFACE.length ? "h2" : "undecided";
}

/**
 * Last shaping of a failed call's status. A request body that does not decode is the caller's mistake: connect-es reports it as INTERNAL
 * (`parse binary: ...`), so it is turned into INVALID_ARGUMENT naming the message that failed to
 * decode. connect-es aborts the call's context with the error before it writes the status, so
 * this runs on that abort, on the very error object it then sends.
 */
export function shapeFailure(reason: unknown, context: HandlerContext): void {
  if (!(reason instanceof ConnectError)) return;
  const mutable = reason as { code: Code; rawMessage: string };
  if (reason.code === Code.Internal && reason.rawMessage.startsWith(PARSE_FAILURE)) {
    const detail = reason.rawMessage.slice(PARSE_FAILURE.length);
    mutable.code = Code.InvalidArgument;
    mutable.rawMessage = `cannot decode the request as ${context.method.input.typeName}: ${detail}`;
  }
  // connect-es names its own option: say which setting it is, in the runtime's words.
  const limit = READ_LIMIT.exec(reason.rawMessage);
  if (reason.code === Code.ResourceExhausted && limit) {
    const size = limit[1] === undefined ? "" : ` of ${limit[1]} bytes`;
    mutable.rawMessage = `the request${size} is over the message limit of ${limit[2]} bytes (maxMessageBytes)`;
  }
  // Whatever a message echoes, it never outgrows a client's metadata limits.
  mutable.rawMessage = boundedMessage(mutable.rawMessage);
}

const PARSE_FAILURE = "parse binary: ";
/** connect-es's refusal of a request over readMaxBytes (with the size when it knows it). */
const READ_LIMIT = /^message size (?:(\d+) )?is larger than configured readMaxBytes (\d+)/;

/** `http://host:port`, with IPv6 literals in brackets. */
export function listenerUrl(host: string, port: number): string {
  return host.includes(":") ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

export async function startListener(opts: ListenerOptions): Promise<Listener> {
  const { host, log, name } = opts;
  const maxBytes = opts.maxMessageBytes;
  const shutdown = new AbortController();
  const requestGate = async (context: HandlerContext) => {
    context.signal.addEventListener("abort", () => shapeFailure(context.signal.reason, context), {
      once: true,
    });
    await opts.requestGate?.(context);
  };
  const connectOptions = {
    acceptCompression: [compressionGzip, compressionBrotli],
    readMaxBytes: maxBytes,
    // A response carries what a request of up to maxBytes produced, plus covers and timestamps:
    // a command just under the limit must not be persisted and then answered RESOURCE_EXHAUSTED.
    writeMaxBytes: maxBytes * 2,
    shutdownSignal: shutdown.signal,
    jsonOptions: { registry: runtimeTypeRegistry },
    requestGate,
    interceptors: [traceInterceptor],
  } satisfies ConnectRouterOptions & LeanUnaryOptions;
  const adapter = connectNodeAdapter({
    ...connectOptions,
    routes: opts.routes,
    fallback: unroutedHandler(opts.getRoutes ?? {}, opts.unroutedHint),
  });
  // The lean HTTP/1.1 loop (h1-unary.ts) serves Connect unary calls with the same handlers,
  // built from the same options (and the listener's lean methods before them); listeners with
  // plain HTTP routes (which see requests first) keep every HTTP/1.1 request on node:http.
  const unary = new Map<string, UniversalHandler>();
  // The lean methods shape their failures themselves, without a listener on each call's signal.
  const { requestGate: _shapingGate, ...shared } = connectOptions;
  const leanOptions: LeanUnaryOptions = {
    ...shared,
    ...(opts.requestGate ? { requestGate: opts.requestGate } : {}),
    shapeFailure,
  };
  const lean = opts.httpRoutes === undefined ? opts.lean?.(leanOptions) : undefined;
  if (opts.httpRoutes === undefined) {
    const router = createConnectRouter(connectOptions);
    opts.routes(router);
    for (const handler of router.handlers) {
      if (handler.method.methodKind === "unary") unary.set(handler.requestPath, handler);
    }
  }

  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  let h1InFlight = 0;
  const idleMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const maxPerClient = opts.maxConnectionsPerClient ?? DEFAULT_MAX_CONNECTIONS_PER_CLIENT;
  /** Calls in progress and the time of the last change, per connection (socket or HTTP/2 session). */
  interface Activity {
    open: number;
    last: number;
    close(): void;
  }
  const activity = new Map<object, Activity>();
  const track = (key: object, close: () => void) => activity.set(key, { open: 0, last: Date.now(), close });
  const begin = (key: object | undefined) => {
    const a = key && activity.get(key);
    if (!a) return () => {};
    a.open++;
    a.last = Date.now();
    return () => {
      a.open--;
      a.last = Date.now();
    };
  };
  const perClient = new Map<string, number>();

  const routes = opts.httpRoutes;
  const h2 = http2.createServer(
    { maxSessionMemory: Math.max(10, Math.ceil((maxBytes * 2) / 2 ** 20)) },
    (req, res) => {
      res.once("close", begin(req.stream.session ?? undefined));
      if (routes?.(req, res)) return;
      adapter(req, res);
    },
  );
  h2.on("session", (session) => {
    sessions.add(session);
    track(session, () => {
      session.close();
      setTimeout(() => session.destroy(), 1_000).unref();
    });
    session.once("close", () => {
      sessions.delete(session);
      activity.delete(session);
    });
    session.on("error", (err) => log.debug(`${name}.session_error`, { error: err.message }));
  });
  const keepAlive = `timeout=${Math.max(1, Math.floor(idleMs / 1000) - 1)}`;
  const h1 = http.createServer((req, res) => {
    h1InFlight++;
    const end = begin(req.socket);
    // Tells keep-alive clients when an unused connection goes, so they drop it first.
    res.setHeader("keep-alive", keepAlive);
    res.once("close", () => {
      h1InFlight--;
      end();
    });
    if (routes?.(req, res)) return;
    adapter(req, res);
  });
  h1.on("clientError", (err, socket) => {
    log.debug(`${name}.http1_client_error`, { error: err.message });
    socket.destroy();
  });

  const tcp = net.createServer((socket) => {
    const client = socket.remoteAddress ?? "";
    const count = (perClient.get(client) ?? 0) + 1;
    if (count > maxPerClient) {
      log.warn(`${name}.connection_refused`, { client, reason: "too many connections", limit: maxPerClient });
      socket.destroy();
      return;
    }
    perClient.set(client, count);
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      activity.delete(socket);
      const left = (perClient.get(client) ?? 1) - 1;
      if (left <= 0) perClient.delete(client);
      else perClient.set(client, left);
    });
    socket.on("error", (err) => log.debug(`${name}.socket_error`, { error: err.message }));
    socket.setNoDelay(true);
    let head: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), Math.min(SNIFF_TIMEOUT_MS, idleMs));
    const onReadable = () => {
      for (let chunk: Buffer | null = socket.read(); chunk !== null; chunk = socket.read()) {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      }
      const verdict = classify(head);
      if (verdict === "undecided") return;
      clearTimeout(timer);
      socket.off("readable", onReadable);
      socket.off("end", onEnd);
      // HTTP/2 connections are watched through their session; HTTP/1.1 ones through the socket.
      if (verdict === "h1") track(socket, () => socket.destroy());
      if (verdict === "h1" && unary.size > 0) {
        serveH1Unary(socket, head, {
          handlers: unary,
          ...(lean ? { lean } : {}),
          maxBodyBytes: maxBytes,
          keepAlive,
          begin: () => {
            h1InFlight++;
            const end = begin(socket);
            return () => {
              h1InFlight--;
              end();
            };
          },
          handOver: (s, unread) => {
            if (unread.length > 0) s.unshift(unread);
            h1.emit("connection", s);
          },
          log,
          name,
        });
        return;
      }
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
  tcp.on("error", (err) => log.error(`${name}.listener_error`, { error: err.message }));

  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(opts.port, host, () => {
      tcp.off("error", reject);
      resolve();
    });
  });
  const port = (tcp.address() as net.AddressInfo).port;
  // Closes connections without a call in progress for idleMs (including ones that never sent a
  // complete request).
  const sweeper = setInterval(
    () => {
      const now = Date.now();
      for (const [key, a] of activity) {
        if (a.open === 0 && now - a.last >= idleMs) {
          activity.delete(key);
          log.debug(`${name}.idle_connection_closed`, { idleMs });
          a.close();
        }
      }
    },
    Math.max(50, Math.min(5_000, Math.floor(idleMs / 4))),
  );
  sweeper.unref();
  log.info(`${name}.listening`, { host, port });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      opts.onStopping?.();
      clearInterval(sweeper);
      shutdown.abort();
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      for (const session of sessions) session.close();
      const deadline = Date.now() + opts.shutdownGraceMs;
      while ((sessions.size > 0 || h1InFlight > 0) && Date.now() < deadline) await Bun.sleep(10);
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      await closed;
      log.info(`${name}.stopped`, { port });
    })();
    return stopping;
  };

  return { port, host, url: listenerUrl(host, port), stop };
}
