// Connect unary clients of a peer coordinator over persistent HTTP/1.1 connections (the SDK's
// keep-alive pool, on TCP). Every peer method is unary; the peers' listeners answer Connect unary
// over HTTP/1.1 in their lean loop, which costs both sides a fraction of an HTTP/2 call through
// node:http2 (measured: bench/distributed.bench.ts, CPU per command). The clients have the shape
// of Connect's `Client<S>`; errors come back as ConnectErrors whose cause says whether the peer
// could not be reached (isUnreachable in peers.ts). The deadline is the caller's alone (no
// `connect-timeout-ms`: the peers' lean methods take only calls without one).
import {
  CONTENT_TYPE_PROTO,
  errorFromResponse,
  Http1Pool,
  type HttpResponse,
  PROTOCOL_VERSION_HEADER,
  SpanKind,
  traced,
  traceHeaders,
  tracingEnabled,
} from "@angzarr/sdk";
import { create, type DescMethodUnary, type DescService, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError } from "@connectrpc/connect";

/** Connections to one peer at most: calls beyond wait for a free one (the listener caps per client). */
const MAX_CONNECTIONS = 64;
/** Idle connections are dropped well before the peer's own idle timeout (60 s) closes them. */
const IDLE_MS = 20_000;

/** Largest request written and response read, bytes. */
export interface PeerLimits {
  readMaxBytes: number;
  writeMaxBytes: number;
}

export interface PeerCallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The keep-alive pool towards `url` (`http://host:port`). */
export function peerPool(url: string): Http1Pool {
  const { hostname, port } = new URL(url);
  return new Http1Pool(
    { hostname: hostname.replace(/^\[|\]$/g, ""), port: Number(port || 80) },
    // A command is not safe to send twice: a connection lost under a call fails the call.
    { peer: url, retryReused: false, maxConnections: MAX_CONNECTIONS, idleMs: IDLE_MS },
  );
}

/** A Connect-shaped client of `service` over `pool` (its streaming methods refuse: no peer uses one). */
export function h1PeerClient<S extends DescService>(
  service: S,
  pool: Http1Pool,
  url: string,
  limits: PeerLimits,
): Client<S> {
  const client: Record<string, unknown> = {};
  for (const method of service.methods) {
    client[method.localName] =
      method.methodKind === "unary"
        ? (request: unknown, options?: PeerCallOptions) =>
            call(pool, url, limits, method as DescMethodUnary, request, options)
        : () => {
            throw new ConnectError(
              `${method.parent.typeName}/${method.name} streams: peers are called with unary methods only`,
              Code.Unimplemented,
            );
          };
  }
  return client as Client<S>;
}

async function call(
  pool: Http1Pool,
  url: string,
  limits: PeerLimits,
  method: DescMethodUnary,
  request: unknown,
  options: PeerCallOptions = {},
): Promise<unknown> {
  const message = create(method.input, request as Parameters<typeof create>[1]);
  const answer = await postEncoded(pool, url, limits, method, () => toBinary(method.input, message), options);
  return fromBinary(method.output, answer);
}

/**
 * One unary call with the request already encoded (`body()` runs inside the call's span): the
 * answer's bytes, or the ConnectError the peer answered or the transport met.
 */
export async function postEncoded(
  pool: Http1Pool,
  url: string,
  limits: PeerLimits,
  method: DescMethodUnary,
  encode: () => Uint8Array,
  options: PeerCallOptions = {},
): Promise<Uint8Array> {
  const path = `/${method.parent.typeName}/${method.name}`;
  const send = async () => {
    const headers: Record<string, string> = {
      "content-type": CONTENT_TYPE_PROTO,
      [PROTOCOL_VERSION_HEADER]: "1",
      ...traceHeaders(),
    };
    const body = encode();
    if (body.byteLength > limits.writeMaxBytes) {
      throw new ConnectError(
        `message size ${body.byteLength} is larger than configured writeMaxBytes ${limits.writeMaxBytes}`,
        Code.ResourceExhausted,
      );
    }
    let res: HttpResponse;
    try {
      res = await pool.post(path, headers, body, options.signal, options.timeoutMs);
    } catch (err) {
      const name = (err as Error).name;
      if (name === "TimeoutError")
        throw new ConnectError(`${path} timed out after ${options.timeoutMs} ms`, Code.DeadlineExceeded);
      if (name === "AbortError") throw new ConnectError(`${path} cancelled`, Code.Canceled);
      // No answer came: the cause carries a socket error code for isUnreachable.
      const cause = err as NodeJS.ErrnoException;
      const reason = Object.assign(new Error(`socket: ${cause.message}`), {
        code: cause.code ?? "ECONNRESET",
      });
      throw new ConnectError(reason.message, Code.Unavailable, undefined, undefined, reason);
    }
    if (res.status !== 200) {
      throw await errorFromResponse(
        new Response(res.body, { status: res.status, headers: { "content-type": res.contentType } }),
      );
    }
    if (res.body.byteLength > limits.readMaxBytes) {
      throw new ConnectError(
        `message size ${res.body.byteLength} is larger than configured readMaxBytes ${limits.readMaxBytes}`,
        Code.ResourceExhausted,
      );
    }
    return res.body;
  };
  if (!tracingEnabled()) return send();
  const name = `${method.parent.typeName}/${method.name}`;
  return traced(
    name,
    { "rpc.system": "connect_rpc", "rpc.method": name, "server.address": url },
    send,
    SpanKind.CLIENT,
  );
}
