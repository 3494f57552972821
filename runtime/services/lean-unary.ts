// One unary method answered over HTTP/1.1 without Connect's generic request plumbing (protocol
// negotiation, URL parsing, streamed bodies, async-iterable responses): the hot path of the
// gateway, CommandGateway.Execute, where that plumbing cost a third of the gateway's CPU per
// command (bench/README.md). Only the plain case is taken: the Connect protocol with a binary
// body that is neither compressed nor given a timeout, and that decodes. Anything else answers
// `undefined` before anything runs, and the caller hands the request to Connect's handler.
// What runs is what Connect's unary handler runs, with Connect's own parts: the handler context,
// the request gate, the interceptors around the same implementation, the error JSON and status,
// response headers and trailers, the write limit and response compression.

import { tracingEnabled } from "@angzarr/sdk";
import {
  create,
  type DescMessage,
  type DescMethodUnary,
  type DescService,
  fromBinary,
  isMessage,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  createContextValues,
  type HandlerContext,
  type Interceptor,
  type MethodImpl,
} from "@connectrpc/connect";
import {
  type Compression,
  compressionNegotiate,
  createLinkedAbortController,
  invokeUnaryImplementation,
  mergeNonProtocolHeaders,
  validateReadWriteMaxBytes,
} from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorToJsonBytes, trailerMux } from "@connectrpc/connect/protocol-connect";
import { servedSpan, spanNameOf, traceInterceptor } from "../observability/tracing";
import type { HeaderReader, LeanAnswer, LeanCall, LeanUnary } from "./h1-unary";
import { LazySignal } from "./lazy-signal";

/** The Connect options of the listener the method is served on (the same the router gets). */
export interface LeanUnaryOptions {
  acceptCompression: Compression[];
  readMaxBytes: number;
  writeMaxBytes: number;
  compressMinBytes?: number;
  interceptors: Interceptor[];
  requestGate?: (context: HandlerContext) => void | Promise<void>;
  /**
   * Shapes, in place, the error a call failed with before it is answered (the listener's; Connect's
   * own handler reaches it through the request gate, on its context's abort).
   */
  shapeFailure?: (reason: unknown, context: HandlerContext) => void;
  shutdownSignal?: AbortSignal;
  jsonOptions?: Parameters<typeof errorToJsonBytes>[1];
}

/**
 * The reason a finished call's context is aborted with: what `abort()` without one would give (an
 * AbortError), made once instead of per call (a DOMException per call cost ~1 µs of CPU).
 */
export const CALL_DONE = new DOMException("This operation was aborted", "AbortError");

/** `application/proto`, nothing else (JSON and parameters go through Connect). */
const PROTO = /^application\/proto$/i;

/** The limits a lean method enforces, from the listener's options. */
export function leanLimits(options: LeanUnaryOptions) {
  return validateReadWriteMaxBytes(options.readMaxBytes, options.writeMaxBytes, options.compressMinBytes);
}

type Negotiated = ReturnType<typeof compressionNegotiate>;

/**
 * The compression of a plain call (the Connect protocol, a binary body neither compressed nor
 * given a timeout); undefined when the call must go through Connect's handler.
 */
export function plainCall(header: HeaderReader, options: LeanUnaryOptions): Negotiated | undefined {
  if (!PROTO.test(header.get("content-type") ?? "") || header.has("connect-timeout-ms")) return undefined;
  const compression = compressionNegotiate(
    options.acceptCompression,
    header.get("content-encoding"),
    header.get("accept-encoding"),
    "accept-encoding",
  );
  if (compression.error !== undefined || compression.request !== null) return undefined;
  return compression;
}

/**
 * Answers a plain call of `method` as Connect's unary handler does: the handler context, the
 * request gate, then `produce` (the encoded output); an error becomes Connect's error JSON and
 * status; the write limit and response compression apply.
 */
export async function leanAnswer(
  service: DescService,
  method: DescMethodUnary,
  call: Pick<LeanCall, "url" | "header" | "signal">,
  compression: Negotiated,
  limits: ReturnType<typeof leanLimits>,
  options: LeanUnaryOptions,
  produce: (context: HandlerContext) => Promise<Uint8Array>,
): Promise<LeanAnswer> {
  const context = leanContext(service, method, call, options.shutdownSignal);
  let status = 200;
  let out: Uint8Array;
  try {
    await options.requestGate?.(context);
    out = await produce(context);
    if (out.byteLength > limits.writeMaxBytes) {
      throw new ConnectError(
        `message size ${out.byteLength} is larger than configured writeMaxBytes ${limits.writeMaxBytes}`,
        Code.ResourceExhausted,
      );
    }
  } catch (e) {
    context.abort(e);
    options.shapeFailure?.(e, context);
    const error =
      e instanceof ConnectError
        ? e
        : new ConnectError("internal error", Code.Internal, undefined, undefined, e);
    status = codeToHttpStatus(error.code);
    context.responseHeader.set("content-type", "application/json");
    if (!error.isWireError) mergeNonProtocolHeaders(context.responseHeader, error.metadata);
    out = errorToJsonBytes(error, options.jsonOptions ?? {});
  } finally {
    context.abort(CALL_DONE);
  }
  if (compression.response !== null && out.byteLength >= limits.compressMinBytes) {
    out = await compression.response.compress(out);
    context.responseHeader.set("content-encoding", compression.response.name);
  }
  return { status, header: context.answerHeader(), body: out };
}

/** A lean call's handler context, with what it adds to Connect's: the finish and the answer's header. */
export interface LeanContext extends HandlerContext {
  /** Aborts the signal (once: a later reason is ignored), as Connect's context controller does. */
  abort(reason: unknown): void;
  /**
   * The response header with the trailer muxed in (`trailer-` entries), as a unary answer sends
   * them; undefined when neither was read (`content-type: application/proto` alone).
   */
  answerHeader(): Headers | undefined;
}

/**
 * What Connect's `createHandlerContext` gives a unary call without a deadline, with the parts a
 * call seldom reads made when first read: the signal (linked to the call's and the listener's
 * shutdown signal), the response header and trailer and the context values. The request header is
 * the one the call was read with (a fresh one per call, made when read), not a copy. Made
 * eagerly, these were ~10 % of a
 * distributed gateway's CPU per command (two AbortControllers, five listeners added and removed
 * and an abort event per call; bench/README.md "Lean handler context").
 */
export function leanContext(
  service: DescService,
  method: DescMethodUnary,
  call: Pick<LeanCall, "url" | "header" | "signal">,
  shutdownSignal: AbortSignal | undefined,
): LeanContext {
  const lazy = new LazySignal(() => createLinkedAbortController(call.signal, shutdownSignal));
  let response: Headers | undefined;
  let trailer: Headers | undefined;
  let values: ContextValues | undefined;
  // Getters are own enumerable properties: Connect's invoke spreads the context (Object.assign).
  return {
    service,
    method,
    protocolName: "connect",
    requestMethod: "POST",
    url: call.url,
    get requestHeader(): Headers {
      return call.header;
    },
    get responseHeader(): Headers {
      response ??= new Headers({ "content-type": "application/proto" });
      return response;
    },
    timeoutMs: () => undefined,
    get signal(): AbortSignal {
      return lazy.signal;
    },
    get responseTrailer(): Headers {
      trailer ??= new Headers();
      return trailer;
    },
    get values(): ContextValues {
      values ??= createContextValues();
      return values;
    },
    abort(reason: unknown): void {
      lazy.abort(reason);
    },
    answerHeader(): Headers | undefined {
      if (trailer === undefined) return response;
      return trailerMux(this.responseHeader, trailer);
    },
  };
}

/**
 * `encode`: the answer's bytes, when the method has a quicker way to them than protobuf-es's
 * toBinary (the same bytes: book-bytes.ts `commandResponseBytes`).
 */
export function leanUnary<I extends DescMessage, O extends DescMessage>(
  service: DescService,
  method: DescMethodUnary<I, O>,
  impl: MethodImpl<DescMethodUnary<I, O>>,
  options: LeanUnaryOptions,
  encode: (output: MessageShape<O>) => Uint8Array = (output) => toBinary(method.output, output),
): LeanUnary {
  const limits = leanLimits(options);
  const spec = { kind: "unary" as const, service, method, impl };
  const onlyTracing = options.interceptors.every((i) => i === traceInterceptor);
  const spanName = spanNameOf(method);
  return async (call): Promise<LeanAnswer | undefined> => {
    const compression = plainCall(call.fields, options);
    if (compression === undefined) return undefined;
    let input: ReturnType<typeof fromBinary<I>>;
    try {
      input = fromBinary(method.input, call.body);
    } catch {
      return undefined; // Connect answers what does not decode
    }
    return leanAnswer(service, method, call, compression, limits, options, async (context) => {
      // With no interceptor but tracing's, the implementation is called as Connect's invoke would
      // call it (the same context), inside the span the tracing interceptor would start, without
      // building the interceptors' request: that request reads the context's signal, trailer and
      // values, which the lean context makes only when read (the signal: two AbortControllers and
      // their listeners per call, aborted when the call is answered), and copies the context for
      // the implementation (with tracing on, 20–40 µs per command of the coordinator's JavaScript
      // thread: bench/README.md "Tracing on took Connect's interceptor path").
      const output = !onlyTracing
        ? await invokeUnaryImplementation(spec, context, input, options.interceptors)
        : tracingEnabled()
          ? await servedSpan(spanName, call.header, async () => impl(input, context))
          : await impl(input, context);
      return encode(isMessage(output, method.output) ? output : create(method.output, output));
    });
  };
}
