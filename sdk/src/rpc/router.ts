// A table of unary methods keyed by path, served over any transport (socket or in memory).
import {
  type DescMessage,
  type DescMethod,
  type DescService,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { serverSpan, tracingEnabled } from "../tracing";
import {
  CONTENT_TYPE_PROTO,
  CORRELATION_HEADER,
  decodeBody,
  errorResponse,
  PROTOCOL_VERSION_HEADER,
} from "./protocol";

/** Per-call context handed to every method implementation. */
export interface CallContext {
  path: string;
  /** Informational `x-correlation-id` request header ("" when absent). */
  correlationId: string;
  signal: AbortSignal;
}

export type UnaryImpl<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: CallContext,
) => Promise<MessageShape<O>> | MessageShape<O>;

/** A method on raw bytes: encoded request in, encoded response out. */
export type RawImpl = (body: Uint8Array, context: CallContext) => Promise<Uint8Array> | Uint8Array;

/** A raw method reading a (chunked) request body as its chunks arrive. */
export type StreamedImpl = (chunks: AsyncIterable<Uint8Array>, context: CallContext) => Promise<Uint8Array>;

interface Route {
  method: DescMethod;
  /** Decodes, calls and encodes; throws ConnectError. */
  invoke(body: Uint8Array, context: CallContext): Promise<Uint8Array>;
  /** The same on a chunked body, read as it arrives (when the method has such a reader). */
  stream?: StreamedImpl;
}

export class UnaryRouter {
  private readonly routes = new Map<string, Route>();

  /**
   * Registers one unary method of a service. `decode`: a faster reader of the request that gives
   * what protobuf-es gives, or undefined for bytes protobuf-es must decode (see fast/page-codec.ts).
   */
  add<I extends DescMessage, O extends DescMessage>(
    method: DescMethod & { input: I; output: O },
    impl: UnaryImpl<I, O>,
    decode?: (body: Uint8Array) => MessageShape<I> | undefined,
  ): this {
    if (method.methodKind !== "unary") throw new Error(`${method.name} is not unary`);
    const path = pathOf(method);
    this.routes.set(path, {
      method,
      async invoke(body, context) {
        const request = decode?.(body) ?? decodeBody(method.input, body);
        const response = await impl(request, context);
        return toBinary(method.output, response);
      },
    });
    return this;
  }

  /**
   * Registers one unary method that takes the encoded request and returns the encoded response
   * (a method with its own decoder, e.g. the aggregate's fast path). Decoding errors are its own
   * to raise, as INVALID_ARGUMENT like `add` does.
   */
  addRaw(method: DescMethod, impl: RawImpl, stream?: StreamedImpl): this {
    if (method.methodKind !== "unary") throw new Error(`${method.name} is not unary`);
    this.routes.set(pathOf(method), {
      method,
      invoke: async (body, context) => impl(body, context),
      ...(stream ? { stream } : {}),
    });
    return this;
  }

  /** Registers several methods of one service by local name. */
  service<S extends DescService>(
    service: S,
    impls: Partial<Record<string, UnaryImpl<DescMessage, DescMessage>>>,
  ): this {
    for (const method of service.methods) {
      const impl = impls[method.localName];
      if (impl) this.add(method as DescMethod & { input: DescMessage; output: DescMessage }, impl);
    }
    return this;
  }

  paths(): string[] {
    return [...this.routes.keys()].sort();
  }

  has(path: string): boolean {
    return this.routes.has(path);
  }

  /** Calls a method with raw bytes (used by the in-memory transport and the socket server). */
  async invoke(path: string, body: Uint8Array, context: CallContext): Promise<Uint8Array> {
    const route = this.routes.get(path);
    if (!route) throw new ConnectError(`${path} is not implemented`, Code.Unimplemented);
    return route.invoke(body, context);
  }

  /** Serves one HTTP request with the Connect unary protocol. */
  async handle(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (request.method !== "POST") {
      return errorResponse(new ConnectError("only POST is supported", Code.Unimplemented));
    }
    try {
      const correlationId = request.headers.get(CORRELATION_HEADER) ?? "";
      const context = { path, correlationId, signal: request.signal };
      const stream = this.routes.get(path)?.stream;
      const body = request.body;
      let call: () => Promise<Uint8Array>;
      if (stream !== undefined && body !== null && isChunked(request.headers)) {
        call = () => stream(body, context);
      } else {
        const bytes = new Uint8Array(await request.arrayBuffer());
        call = () => this.invoke(path, bytes, context);
      }
      // Health checks (the runtime asks every second) are not traced: they would bury the rest.
      const bytes =
        !tracingEnabled() || path.startsWith(HEALTH_PREFIX)
          ? await call()
          : await serverSpan(
              path.slice(1),
              request.headers,
              // The caller's span (the command's or the consumer's) carries the angzarr attributes.
              () => ({ "rpc.system": "connect_rpc", "rpc.method": path.slice(1) }),
              call,
            );
      return new Response(bytes, {
        status: 200,
        headers: { "content-type": CONTENT_TYPE_PROTO, [PROTOCOL_VERSION_HEADER]: "1" },
      });
    } catch (err) {
      return errorResponse(err);
    }
  }
}

const HEALTH_PREFIX = "/grpc.health.v1.Health/";

/** True for a request whose body comes chunked (no length known up front). */
function isChunked(headers: Headers): boolean {
  return (
    !headers.has("content-length") &&
    (headers.get("transfer-encoding") ?? "").toLowerCase().includes("chunked")
  );
}

export function pathOf(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}
