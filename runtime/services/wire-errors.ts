// Shapes errors for the caller's protocol (wire-contract §3.8) and keeps internals out of replies.
//
// The coordinator throws a sequence mismatch as ABORTED with an `angzarr.EventBook` error detail.
// Connect callers get exactly that (an error detail of type angzarr.EventBook). gRPC and gRPC-Web
// callers get what the reference sends: the RAW bytes of the EventBook in the
// `grpc-status-details-bin` trailer, not a google.rpc.Status. connect-es would encode details as a
// google.rpc.Status and drops that trailer from error metadata (it is a protocol header), so we
// write the trailer into the handler context ourselves and throw the error without details.
import { EventBookSchema } from "@angzarr/proto";
import { toBinary } from "@bufbuild/protobuf";
import { base64Encode } from "@bufbuild/protobuf/wire";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { Logger } from "../observability/log";

export const STATUS_DETAILS_BIN = "grpc-status-details-bin";

/** True for gRPC and gRPC-Web requests (content type `application/grpc*`). */
export function isGrpcRequest(ctx: HandlerContext): boolean {
  return (ctx.requestHeader.get("content-type") ?? "").toLowerCase().startsWith("application/grpc");
}

/** The error to throw to this caller: protocol-shaped, never a raw internal exception. */
export function toWireError(err: unknown, ctx: HandlerContext, log: Logger): ConnectError {
  if (!(err instanceof ConnectError)) {
    const message = err instanceof Error ? err.message : String(err);
    log.error("rpc.internal_error", { rpc: ctx.method.name, service: ctx.service.typeName, error: message });
    return new ConnectError(message, Code.Internal);
  }
  if (!isGrpcRequest(ctx)) return err;
  const book = err.findDetails(EventBookSchema)[0];
  if (book === undefined) return err;
  ctx.responseTrailer.set(STATUS_DETAILS_BIN, base64Encode(toBinary(EventBookSchema, book), "std_raw"));
  return new ConnectError(err.rawMessage, err.code, undefined, [], err.cause);
}

/** Runs a unary implementation, shaping any error for the caller. */
export async function guarded<T>(ctx: HandlerContext, log: Logger, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toWireError(err, ctx, log);
  }
}

/** Wraps a server-streaming implementation the same way. */
export async function* guardedStream<T>(
  ctx: HandlerContext,
  log: Logger,
  source: () => AsyncIterable<T>,
): AsyncGenerator<T> {
  try {
    yield* source();
  } catch (err) {
    throw toWireError(err, ctx, log);
  }
}
