// Clients for the lean Connect unary protocol: over a Unix socket, or straight into a router
// in memory (tests at RPC level with no socket). Both have the same shape.
import { chmodSync, existsSync, unlinkSync } from "node:fs";
import { type DescMessage, type DescMethod, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { Http1UnixPool, type HttpResponse } from "./http1-pool";
import {
  CONTENT_TYPE_PROTO,
  CORRELATION_HEADER,
  decodeBody,
  errorFromResponse,
  PROTOCOL_VERSION_HEADER,
} from "./protocol";
import { pathOf, type UnaryRouter } from "./router";

export interface CallOptions {
  correlationId?: string;
  signal?: AbortSignal;
  /** Milliseconds; 0 or absent = no timeout. */
  timeoutMs?: number;
}

export interface RpcClient {
  /** Human-readable address for messages ("unix:/path", "memory"). */
  readonly address: string;
  /** Calls with raw request bytes and returns raw response bytes. */
  raw(path: string, body: Uint8Array, options?: CallOptions): Promise<Uint8Array>;
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

/** Connect unary over HTTP/1.1 on a Unix socket. */
export class UnixSocketClient implements RpcClient {
  readonly address: string;

  constructor(
    readonly socketPath: string,
    private readonly serviceLabel = "handler",
  ) {
    this.address = `unix:${socketPath}`;
    this.pool = new Http1UnixPool(socketPath);
  }

  private readonly pool: Http1UnixPool;

  async raw(path: string, body: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    const headers: Record<string, string> = {
      "content-type": CONTENT_TYPE_PROTO,
      [PROTOCOL_VERSION_HEADER]: "1",
    };
    if (options.correlationId) headers[CORRELATION_HEADER] = options.correlationId;
    const signals: AbortSignal[] = [];
    if (options.signal) signals.push(options.signal);
    if (options.timeoutMs) signals.push(AbortSignal.timeout(options.timeoutMs));
    const signal =
      signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    let res: HttpResponse;
    try {
      res = await this.pool.post(path, headers, body, signal);
    } catch (err) {
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

  async raw(path: string, body: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    try {
      return await this.router.invoke(path, body.slice(), {
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
  stop(): Promise<void>;
}

/** Serves a router on a Unix socket (mode 0600). A stale socket file is replaced. */
export function serveUnix(
  router: UnaryRouter,
  socketPath: string,
  maxBodyBytes = 64 * 1024 * 1024,
): UnixServer {
  if (existsSync(socketPath)) unlinkSync(socketPath);
  const server = Bun.serve({
    unix: socketPath,
    maxRequestBodySize: maxBodyBytes,
    fetch: (request) => router.handle(request),
    error: () => new Response("internal error", { status: 500 }),
  });
  chmodSync(socketPath, 0o600);
  return {
    socketPath,
    async stop() {
      await server.stop(true);
      if (existsSync(socketPath)) unlinkSync(socketPath);
    },
  };
}
