// Clients for the lean Connect unary protocol: over a Unix socket, or straight into a router
// in memory (tests at RPC level with no socket). Both have the same shape.
import { chmodSync, renameSync, rmSync, statSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { type DescMessage, type DescMethod, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { Http1UnixPool, type HttpResponse } from "./http1-pool";
import {
  CONTENT_TYPE_PROTO,
  CORRELATION_HEADER,
  decodeBody,
  errorFromResponse,
  errorResponse,
  gatherBody,
  isStreamed,
  PROTOCOL_VERSION_HEADER,
  type RequestBody,
} from "./protocol";
import { pathOf, type UnaryRouter } from "./router";

export interface CallOptions {
  correlationId?: string;
  /** Extra request metadata, e.g. the W3C `traceparent` that continues a trace in the program. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Milliseconds; 0 or absent = no timeout. */
  timeoutMs?: number;
}

export interface RpcClient {
  /** Human-readable address for messages ("unix:/path", "memory"). */
  readonly address: string;
  /** Calls with raw request bytes (one buffer or its parts) and returns raw response bytes. */
  raw(path: string, body: RequestBody, options?: CallOptions): Promise<Uint8Array>;
}

/** Typed call over any client. */
export async function unary<I extends DescMessage, O extends DescMessage>(
  client: RpcClient,
  method: DescMethod & { input: I; output: O },
  request: MessageShape<I>,
  options?: CallOptions,
): Promise<MessageShape<O>> {
  const bytes = await client.raw(pathOf(method), toBinary(method.input, request), options);
  return decodeBody(method.output, bytes);
}

/**
 * Connections a client opens to one program at most; further calls wait for a free one. A flood
 * (a thousand commands at once) otherwise opens a connection per call: each costs a connect and
 * an accept, and past the socket's listen backlog a connect fails outright ("unavailable").
 */
export const MAX_CONNECTIONS_PER_SOCKET = 64;

/** Connect unary over HTTP/1.1 on a Unix socket. */
export class UnixSocketClient implements RpcClient {
  readonly address: string;

  constructor(
    readonly socketPath: string,
    private readonly serviceLabel = "handler",
    maxConnections = MAX_CONNECTIONS_PER_SOCKET,
  ) {
    this.address = `unix:${socketPath}`;
    this.pool = new Http1UnixPool(socketPath, { maxConnections });
  }

  private readonly pool: Http1UnixPool;

  async raw(path: string, body: RequestBody, options: CallOptions = {}): Promise<Uint8Array> {
    const headers: Record<string, string> = {
      "content-type": CONTENT_TYPE_PROTO,
      [PROTOCOL_VERSION_HEADER]: "1",
    };
    if (options.correlationId) headers[CORRELATION_HEADER] = options.correlationId;
    if (options.headers) Object.assign(headers, options.headers);
    let res: HttpResponse;
    try {
      res = await this.pool.post(path, headers, body, options.signal, options.timeoutMs);
    } catch (err) {
      // A streamed body's own failure (the history could not be read) is the call's error.
      if (err instanceof ConnectError) throw err;
      if ((err as Error).name === "TimeoutError") {
        throw new ConnectError(`${path} timed out after ${options.timeoutMs} ms`, Code.DeadlineExceeded);
      }
      if ((err as Error).name === "AbortError") throw new ConnectError(`${path} cancelled`, Code.Canceled);
      const why = (err as Error).message ?? String(err);
      throw new ConnectError(
        `Service ${this.serviceLabel} at ${this.address} unavailable: ${why}`,
        Code.Unavailable,
      );
    }
    if (res.status !== 200) {
      throw await errorFromResponse(
        new Response(res.body, { status: res.status, headers: { "content-type": res.contentType } }),
      );
    }
    return res.body;
  }

  /** Closes the pooled connections. */
  close(): void {
    this.pool.close();
  }
}

/** Calls a router directly, with real encoding both ways but no socket. */
export class MemoryClient implements RpcClient {
  readonly address = "memory";
  constructor(private readonly router: UnaryRouter) {}

  async raw(path: string, body: RequestBody, options: CallOptions = {}): Promise<Uint8Array> {
    try {
      // The router gets bytes of its own, as a socket's server would.
      const joined = await gatherBody(body);
      const own = body instanceof Uint8Array || isStreamed(body) || body.length === 1;
      const bytes = own ? joined.slice() : joined;
      return await this.router.invoke(path, bytes, {
        path,
        correlationId: options.correlationId ?? "",
        signal: options.signal ?? new AbortController().signal,
      });
    } catch (err) {
      if (err instanceof ConnectError) throw err;
      throw new ConnectError((err as Error).message ?? String(err), Code.Internal);
    }
  }
}

export interface UnixServer {
  readonly socketPath: string;
  /**
   * Stops serving and removes the socket file if it is still this server's. `keepSocket` leaves
   * the path alone (a program whose parent died: its successor may be binding that path now).
   */
  stop(options?: { keepSocket?: boolean }): Promise<void>;
}

/** Bun refuses bodies this far over the limit itself (HTTP 413); closer ones get a status here. */
const OVERSIZE_SLACK = 1024 * 1024;

/** Which file a path names now (device and inode), or undefined when there is none. */
function fileAt(path: string): { dev: number; ino: number } | undefined {
  try {
    const { dev, ino } = statSync(path);
    return { dev, ino };
  } catch {
    return undefined;
  }
}

/** Longest socket path the OS accepts (sun_path minus the terminating NUL). */
const MAX_SOCKET_PATH = process.platform === "darwin" ? 103 : 107;

/**
 * Serves a router on a Unix socket (mode 0600). The socket is bound under a private name and
 * renamed onto the path, which atomically replaces a stale file (or a predecessor's socket). On
 * stop the path is removed only while it is still this server's socket: a successor that took
 * the path over (a restarted program) keeps its socket even when the predecessor stops late.
 * (Bun's own stop removes the path it bound, which is the private name, long gone by then.)
 * A request body over `maxBodyBytes` is RESOURCE_EXHAUSTED naming the limit, before it is read.
 */
export function serveUnix(
  router: UnaryRouter,
  socketPath: string,
  maxBodyBytes = 64 * 1024 * 1024,
): UnixServer {
  const privateName = join(dirname(socketPath), `.${process.pid.toString(36)}.sock`);
  const renamed = Buffer.byteLength(privateName) <= MAX_SOCKET_PATH;
  const bindPath = renamed ? privateName : socketPath;
  rmSync(bindPath, { force: true });
  const server = Bun.serve({
    unix: bindPath,
    maxRequestBodySize: maxBodyBytes + OVERSIZE_SLACK,
    fetch: (request) => {
      const size = Number(request.headers.get("content-length") ?? 0);
      if (size > maxBodyBytes) {
        return errorResponse(
          new ConnectError(
            `request of ${size} bytes is over this program's message limit of ${maxBodyBytes} bytes (ANGZARR_MAX_MESSAGE_BYTES)`,
            Code.ResourceExhausted,
          ),
        );
      }
      return router.handle(request);
    },
    error: () => new Response("internal error", { status: 500 }),
  });
  chmodSync(bindPath, 0o600);
  const bound = fileAt(bindPath);
  if (renamed) renameSync(bindPath, socketPath);
  return {
    socketPath,
    async stop(options = {}) {
      await server.stop(true);
      if (options.keepSocket || bound === undefined) return;
      const now = fileAt(socketPath);
      if (now !== undefined && now.dev === bound.dev && now.ino === bound.ino) {
        try {
          unlinkSync(socketPath);
        } catch {
          // Already gone.
        }
      }
    },
  };
}
