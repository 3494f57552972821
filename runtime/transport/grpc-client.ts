// gRPC over HTTP/2 for foreign handler programs (Python, Go, Rust handlers written for the
// reference), on a Unix socket or TCP. Same RpcClient shape as the lean Connect socket client,
// so the coordinators do not care which one a component uses (chosen per component in config).
//
// The HTTP/2 session (connect, reconnect, idle timeout, per-stream clean-up) and the gRPC
// protocol (headers, grpc-timeout, envelopes, status in headers or trailers) are Connect-ES's
// (`@connectrpc/connect-node`'s session manager and universal client, the protocol helpers of
// `@connectrpc/connect`). Only the raw-bytes plumbing is ours: the coordinator hands over
// already encoded requests and wants the response bytes, so it does not go through a typed
// Transport that would decode and re-encode them.
import * as net from "node:net";
import { type CallOptions, gatherBody, type RequestBody, type RpcClient } from "@angzarr/sdk";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  createAsyncIterable,
  createDeadlineSignal,
  createLinkedAbortController,
  encodeEnvelope,
  getAbortSignalReason,
  pipeTo,
  transformSplitEnvelope,
  type UniversalClientFn,
} from "@connectrpc/connect/protocol";
import { requestHeader, validateResponse, validateTrailer } from "@connectrpc/connect/protocol-grpc";
import { createNodeHttpClient, Http2SessionManager } from "@connectrpc/connect-node";

export type GrpcTarget = { socketPath: string } | { url: string };

/** Authority sent on a Unix socket (the socket decides where it goes). */
const SOCKET_AUTHORITY = "http://localhost";
const CORRELATION_HEADER = "x-correlation-id";
/** Largest response message read (the gRPC length prefix is 32 bits). */
const MAX_MESSAGE_BYTES = 0xffffffff;
/** Envelope flag: the message is compressed (we never ask for compression). */
const COMPRESSED = 0b1;

export class GrpcClient implements RpcClient {
  readonly address: string;
  private readonly baseUrl: string;
  private readonly sessions: Http2SessionManager;
  private readonly http: UniversalClientFn;

  constructor(
    target: GrpcTarget,
    private readonly serviceLabel = "handler",
  ) {
    if ("socketPath" in target) {
      const socketPath = target.socketPath;
      this.address = `unix:${socketPath}`;
      this.baseUrl = SOCKET_AUTHORITY;
      this.sessions = new Http2SessionManager(SOCKET_AUTHORITY, undefined, {
        createConnection: () => net.connect(socketPath),
      });
    } else {
      this.address = target.url;
      this.baseUrl = target.url.replace(/\/+$/, "");
      this.sessions = new Http2SessionManager(this.baseUrl);
    }
    const sessions = this.sessions;
    this.http = createNodeHttpClient({ httpVersion: "2", sessionProvider: () => sessions });
  }

  async raw(path: string, body: RequestBody, options: CallOptions = {}): Promise<Uint8Array> {
    // A streamed body is made to its end first (its own failure is the call's error).
    const bytes = await gatherBody(body);
    const timeoutMs = options.timeoutMs && options.timeoutMs > 0 ? options.timeoutMs : undefined;
    const deadline = createDeadlineSignal(timeoutMs);
    const abort = createLinkedAbortController(options.signal, deadline.signal);
    const header = requestHeader(
      true,
      timeoutMs,
      options.correlationId || options.headers
        ? {
            ...(options.correlationId ? { [CORRELATION_HEADER]: options.correlationId } : {}),
            ...options.headers,
          }
        : undefined,
    );
    try {
      // Everything up to the last byte of the response is the connection's business: a failure
      // there (refused, reset, the program dying mid-call) is UNAVAILABLE, whatever Node calls it.
      let response: Awaited<ReturnType<UniversalClientFn>>;
      const envelopes: { flags: number; data: Uint8Array }[] = [];
      try {
        response = await this.http({
          url: `${this.baseUrl}${path}`,
          method: "POST",
          header,
          signal: abort.signal,
          body: createAsyncIterable([encodeEnvelope(0, bytes)]),
        });
        await pipeTo(response.body, transformSplitEnvelope(MAX_MESSAGE_BYTES), async (split) => {
          for await (const envelope of split) envelopes.push(envelope);
        });
      } catch (err) {
        throw this.transportFailure(err, abort.signal);
      }
      // What the handler said: status in the headers (trailers-only) or in the trailers.
      const { headerError } = validateResponse(response.status, response.header);
      validateTrailer(response.trailer, response.header);
      if (headerError) throw headerError;
      const [first, ...more] = envelopes;
      if (!first) throw new ConnectError(`${path}: empty gRPC response`, Code.Internal);
      if (more.length > 0) throw new ConnectError(`${path}: more than one response message`, Code.Internal);
      if ((first.flags & COMPRESSED) !== 0) {
        throw new ConnectError(`${path}: compressed gRPC responses are not supported`, Code.Internal);
      }
      return first.data;
    } finally {
      deadline.cleanup();
    }
  }

  private transportFailure(err: unknown, signal: AbortSignal): ConnectError {
    if (signal.aborted) {
      const reason = getAbortSignalReason(signal);
      return reason instanceof ConnectError ? reason : ConnectError.from(reason, Code.Canceled);
    }
    const detail =
      err instanceof ConnectError ? err.rawMessage : err instanceof Error ? err.message : String(err);
    return this.unavailable(detail);
  }

  private unavailable(why: string): ConnectError {
    return new ConnectError(
      `Service ${this.serviceLabel} at ${this.address} unavailable: ${why}`,
      Code.Unavailable,
    );
  }

  close(): void {
    this.sessions.abort();
  }
}
