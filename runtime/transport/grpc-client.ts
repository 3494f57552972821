// gRPC over HTTP/2 for foreign handler programs (Python, Go, Rust handlers written for the
// reference), on a Unix socket or TCP. Same RpcClient shape as the lean Connect socket client,
// so the coordinators do not care which one a component uses (chosen per component in config).
import * as http2 from "node:http2";
import * as net from "node:net";
import type { CallOptions, RpcClient } from "@angzarr/sdk";
import { Code, ConnectError } from "@connectrpc/connect";

export type GrpcTarget = { socketPath: string } | { url: string };

const MAX_CODE = Code.Unauthenticated;

export class GrpcClient implements RpcClient {
  readonly address: string;
  private session: http2.ClientHttp2Session | undefined;

  constructor(
    private readonly target: GrpcTarget,
    private readonly serviceLabel = "handler",
  ) {
    this.address = "socketPath" in target ? `unix:${target.socketPath}` : target.url;
  }

  private connect(): http2.ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    const session =
      "socketPath" in this.target
        ? http2.connect("http://localhost", {
            createConnection: () => net.connect((this.target as { socketPath: string }).socketPath),
          })
        : http2.connect(this.target.url);
    session.on("error", () => {
      if (this.session === session) this.session = undefined;
    });
    session.on("close", () => {
      if (this.session === session) this.session = undefined;
    });
    session.unref();
    this.session = session;
    return session;
  }

  private unavailable(why: string): ConnectError {
    return new ConnectError(
      `Service ${this.serviceLabel} at ${this.address} unavailable: ${why}`,
      Code.Unavailable,
    );
  }

  raw(path: string, body: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      let session: http2.ClientHttp2Session;
      try {
        session = this.connect();
      } catch (err) {
        reject(this.unavailable((err as Error).message));
        return;
      }
      const headers: http2.OutgoingHttpHeaders = {
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc+proto",
        te: "trailers",
      };
      if (options.correlationId) headers["x-correlation-id"] = options.correlationId;
      if (options.timeoutMs) headers["grpc-timeout"] = `${Math.max(1, Math.ceil(options.timeoutMs))}m`;
      const req = session.request(headers, options.signal ? { signal: options.signal } : {});
      if (options.timeoutMs) {
        req.setTimeout(options.timeoutMs, () => {
          req.close(http2.constants.NGHTTP2_CANCEL);
          reject(new ConnectError(`${path} timed out after ${options.timeoutMs} ms`, Code.DeadlineExceeded));
        });
      }
      const chunks: Buffer[] = [];
      let head: http2.IncomingHttpHeaders = {};
      let tail: http2.IncomingHttpHeaders = {};
      req.on("response", (h) => {
        head = h;
      });
      req.on("trailers", (t) => {
        tail = t;
      });
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("error", (err) => reject(this.unavailable(err.message)));
      req.on("end", () => {
        const statusText = (tail["grpc-status"] ?? head["grpc-status"]) as string | undefined;
        if (statusText === undefined) {
          reject(this.unavailable(`no grpc-status (HTTP ${head[":status"] ?? "?"})`));
          return;
        }
        const status = Number(statusText);
        if (status !== 0) {
          const raw = (tail["grpc-message"] ?? head["grpc-message"] ?? "") as string;
          let message = raw;
          try {
            message = decodeURIComponent(raw);
          } catch {
            // keep it as sent
          }
          reject(
            new ConnectError(message, status >= 0 && status <= MAX_CODE ? (status as Code) : Code.Unknown),
          );
          return;
        }
        const data = Buffer.concat(chunks);
        if (data.length < 5) {
          reject(new ConnectError(`${path}: empty gRPC response`, Code.Internal));
          return;
        }
        if (data[0] !== 0) {
          reject(new ConnectError(`${path}: compressed gRPC responses are not supported`, Code.Internal));
          return;
        }
        const length = data.readUInt32BE(1);
        resolve(new Uint8Array(data.subarray(5, 5 + length)));
      });
      const frame = Buffer.alloc(5 + body.length);
      frame.writeUInt32BE(body.length, 1);
      frame.set(body, 5);
      req.end(frame);
    });
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }
}
