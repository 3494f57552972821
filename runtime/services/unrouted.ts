// What the gateway answers for a path no service serves. gRPC and gRPC-Web callers get the status
// their libraries expect, UNIMPLEMENTED (an HTTP 404 reaches grpcio as UNIMPLEMENTED only by luck,
// and reads as UNAVAILABLE or INTERNAL in other stacks); everyone else gets a Connect-style 404
// whose JSON body names the code. Plain HTTP GET routes (`/topology`) are served here too.
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

type NodeHandler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;
export type NodeRequest = Parameters<NodeHandler>[0];

/** The part of a node:http / node:http2 response used here (one signature for both). */
interface Reply {
  writeHead(status: number, headers: Record<string, string>): unknown;
  addTrailers(trailers: Record<string, string>): void;
  end(body?: string): unknown;
}

/** A plain HTTP route: answers one GET path with a body. */
export type HttpRoute = (request: NodeRequest) => Promise<{ contentType: string; body: string }>;

export const GRPC_UNIMPLEMENTED = 12;

export function unimplementedMessage(path: string): string {
  const shown = path.length > 128 ? `${path.slice(0, 128)}...` : path;
  return `Method not found: ${shown}`;
}

function isHttp2(request: NodeRequest): boolean {
  return request.httpVersionMajor === 2;
}

/** The fallback handler of the Connect adapter: HTTP routes, else UNIMPLEMENTED in the caller's protocol. */
export function unroutedHandler(
  routes: Record<string, HttpRoute> = {},
  hint: (path: string) => string | undefined = () => undefined,
): NodeHandler {
  return (request, nodeResponse) => {
    const response = nodeResponse as unknown as Reply;
    const path = (request.url ?? "").split("?", 1)[0] ?? "";
    const route = routes[path];
    if (route && (request.method === "GET" || request.method === "HEAD")) {
      route(request)
        .then(({ contentType, body }) => {
          response.writeHead(200, { "content-type": contentType, "cache-control": "no-store" });
          response.end(request.method === "HEAD" ? undefined : body);
        })
        .catch((err: unknown) => {
          response.writeHead(500, { "content-type": "application/json" });
          response.end(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
        });
      return;
    }
    const contentType = String(request.headers["content-type"] ?? "").toLowerCase();
    const extra = hint(path);
    const message = unimplementedMessage(path) + (extra ? ` (${extra})` : "");
    if (contentType.startsWith("application/grpc")) {
      const status = {
        "grpc-status": String(GRPC_UNIMPLEMENTED),
        "grpc-message": encodeURIComponent(message),
      };
      if (isHttp2(request) && !contentType.startsWith("application/grpc-web")) {
        // gRPC over HTTP/2: headers, then the status as trailers.
        response.writeHead(200, { "content-type": "application/grpc" });
        response.addTrailers(status);
        response.end();
      } else {
        // gRPC-Web (HTTP/1.1 or 2): a trailers-only response, the status in the headers.
        response.writeHead(200, { "content-type": contentType.split(";", 1)[0] ?? contentType, ...status });
        response.end();
      }
      request.resume();
      return;
    }
    response.writeHead(404, { "content-type": "application/json" });
    response.end(JSON.stringify({ code: "unimplemented", message }));
    request.resume();
  };
}
