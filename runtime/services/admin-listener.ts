// The admin listener: the operator's port, apart from the public gateway.
//
// It serves the operator services (dead letters list/replay/discard, projection rebuilds and
// checkpoints, inspection), the query and command services the web console uses (so the console
// has one origin), the console page itself, and any plain HTTP route another part of the runtime
// adds with `route()` (e.g. `GET /metrics`).
//
// Access: it binds 127.0.0.1 by default. A bearer token (config `admin.token` or
// ANGZARR_ADMIN_TOKEN) is required on every call whenever one is set, and one must be set to bind
// beyond the loopback interface (startAdminListener refuses otherwise). The console's static
// page is the one thing served without the token (it holds no data; the page asks for the token
// and sends it on its calls).
import { timingSafeEqual } from "node:crypto";
import type * as http from "node:http";
import type * as http2 from "node:http2";
import { HealthCheckResponse_ServingStatus as ServingStatus } from "@angzarr/proto";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { log as rootLog } from "../observability/log";
import { adminBindProblem, DEFAULT_ADMIN_PORT } from "./admin-bind";
import {
  ADMIN_SERVICES,
  adminRoutes,
  DEFAULT_MAX_MESSAGE_BYTES,
  GATEWAY_SERVICES,
  gatewayRoutes,
  type ServiceOptions,
  serviceDeps,
  topologyRoute,
} from "./gateway-server";
import { HealthBoard } from "./health";
import { type HttpRoutes, startListener } from "./listener";

export { DEFAULT_ADMIN_PORT } from "./admin-bind";

/** A plain HTTP route of the admin listener; what it resolves with is sent as the response. */
export type AdminRoute = (request: {
  method: string;
  path: string;
  query: URLSearchParams;
}) => Promise<{ status?: number; contentType: string; body: string | Uint8Array }>;

export interface AdminListenerOptions extends ServiceOptions {
  /** 0 = any free port (default 1311). */
  port?: number;
  /** Default 127.0.0.1; anything beyond loopback needs `token`. */
  host?: string;
  /** Bearer token every call must carry; empty or absent = none (loopback only). */
  token?: string;
  /**
   * Plain HTTP handlers tried first and served WITHOUT the token (static pages such as the
   * console's): returns true when it took the request.
   */
  publicPages?: HttpRoutes;
}

export interface AdminListener {
  readonly port: number;
  readonly host: string;
  /** `http://host:port` */
  readonly url: string;
  readonly health: HealthBoard;
  /** Adds (or replaces) a plain HTTP route, e.g. `route("GET", "/metrics", ...)`. Token rules apply. */
  route(method: "GET" | "POST", path: string, handler: AdminRoute): void;
  stop(): Promise<void>;
}

function bearerMatches(header: string | null | undefined, token: string): boolean {
  if (!header) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!m?.[1]) return false;
  const given = Buffer.from(m[1]);
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;

interface Reply {
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body?: string | Uint8Array): unknown;
}

export async function startAdminListener(opts: AdminListenerOptions): Promise<AdminListener> {
  const host = opts.host ?? "127.0.0.1";
  const token = opts.token === "" ? undefined : opts.token;
  const problem = adminBindProblem(host, token);
  if (problem) throw new Error(problem);
  const log = (opts.log ?? rootLog).child({ component: "admin" });
  const deps = serviceDeps(opts, log);
  const health = new HealthBoard(["", ...GATEWAY_SERVICES, ...ADMIN_SERVICES]);
  const routes = new Map<string, AdminRoute>();
  routes.set("GET /topology", topologyRoute(deps));

  const authorized = (header: string | undefined | null) =>
    token === undefined || bearerMatches(header, token);

  const httpRoutes: HttpRoutes = (req: NodeRequest, res: NodeResponse) => {
    if (opts.publicPages?.(req, res)) return true;
    const url = new URL(req.url ?? "/", "http://admin");
    const method = req.method === "HEAD" ? "GET" : (req.method ?? "GET");
    const route = routes.get(`${method} ${url.pathname}`);
    const reply = res as unknown as Reply;
    if (!route) return false;
    if (!authorized(req.headers.authorization)) {
      reply.writeHead(401, {
        "content-type": "text/plain; charset=utf-8",
        "www-authenticate": 'Bearer realm="angzarr-admin"',
      });
      reply.end("admin token required (Authorization: Bearer <token>)\n");
      req.resume();
      return true;
    }
    route({ method, path: url.pathname, query: url.searchParams }).then(
      ({ status, contentType, body }) => {
        reply.writeHead(status ?? 200, { "content-type": contentType, "cache-control": "no-store" });
        reply.end(req.method === "HEAD" ? undefined : body);
      },
      (err: unknown) => {
        log.error("admin.route_failed", { path: url.pathname, error: (err as Error).message });
        reply.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        reply.end(`${(err as Error).message}\n`);
      },
    );
    return true;
  };

  const connectRoutes = (router: ConnectRouter) => {
    gatewayRoutes(deps, health)(router);
    adminRoutes(deps)(router);
  };
  const listener = await startListener({
    name: "admin",
    port: opts.port ?? DEFAULT_ADMIN_PORT,
    host,
    routes: connectRoutes,
    maxMessageBytes: opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    shutdownGraceMs: opts.shutdownGraceMs ?? 2_000,
    httpRoutes,
    ...(token !== undefined
      ? {
          requestGate: (ctx) => {
            if (!authorized(ctx.requestHeader.get("authorization"))) {
              throw new ConnectError(
                "admin token required (Authorization: Bearer <token>)",
                Code.Unauthenticated,
              );
            }
          },
        }
      : {}),
    onStopping: () => health.setAll(ServingStatus.NOT_SERVING),
    log,
  });
  log.info("admin.ready", { host, port: listener.port, token: token !== undefined });
  return {
    port: listener.port,
    host,
    url: listener.url,
    health,
    route: (method, path, handler) => {
      routes.set(`${method} ${path}`, handler);
    },
    stop: () => listener.stop(),
  };
}
