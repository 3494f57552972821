// CommandGateway.Execute in a distributed gateway, the plain case: the client's CommandBook goes
// to the aggregate coordinator of its cover's domain as the bytes it sent (inside a
// SyncCommandBook), and the coordinator's CommandResponse comes back to the client as its bytes.
// The gateway encoded the book again inside a SyncCommandBook, decoded the answer and encoded it
// again (bench/README.md, distributed section). What the typed path does besides is kept: the
// book is decoded for its route (a book that does not decode, or whose domain no coordinator
// serves, takes the typed path and its errors), the request gate, the errors
// as the typed path maps them (UNAVAILABLE naming the domain when its coordinator cannot be
// reached). With tracing on, or an interceptor besides tracing, every call takes the typed path.
import { CommandBookSchema, CommandGateway } from "@angzarr/proto";
import { tracingEnabled } from "@angzarr/sdk";
import { fromBinary } from "@bufbuild/protobuf";
import type { Logger } from "../observability/log";
import { traceInterceptor } from "../observability/tracing";
import type { LeanUnary } from "./h1-unary";
import { type LeanUnaryOptions, leanAnswer, leanLimits, plainCall } from "./lean-unary";
import { guarded } from "./wire-errors";

/** Where a gateway sends commands as bytes. */
export interface CommandForwarder {
  /** True when a coordinator serves `domain`. */
  serves(domain: string): boolean;
  /** Executes (SyncMode NONE) the encoded CommandBook; answers the encoded CommandResponse. */
  execute(domain: string, book: Uint8Array): Promise<Uint8Array>;
}

/** Execute forwarded as bytes when it can be; `typed` (the lean typed method) otherwise. */
export function forwardedExecute(
  typed: LeanUnary,
  forward: CommandForwarder,
  options: LeanUnaryOptions,
  log: Logger,
): LeanUnary {
  const limits = leanLimits(options);
  const onlyTracing = options.interceptors.every((i) => i === traceInterceptor);
  const method = CommandGateway.method.execute;
  return async (call) => {
    if (!onlyTracing || tracingEnabled()) return typed(call);
    const compression = plainCall(call.fields, options);
    if (compression === undefined) return typed(call);
    // Decoded for its route only (and so that what does not decode fails as the typed path fails).
    let domain: string | undefined;
    try {
      domain = fromBinary(CommandBookSchema, call.body).cover?.domain;
    } catch {
      return typed(call);
    }
    if (domain === undefined || !forward.serves(domain)) return typed(call);
    return leanAnswer(CommandGateway, method, call, compression, limits, options, (context) =>
      guarded(context, log, () => forward.execute(domain, call.body)),
    );
  };
}
