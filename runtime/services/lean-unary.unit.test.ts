// The lean path's handler context (lean-unary.ts `leanContext`) against what Connect's own context
// gives a unary call: the signal follows the call's and the listener's shutdown signal, the first
// abort's reason wins whether or not the signal was read before it, the trailer reaches the
// answer's header as Connect's unary protocol muxes it, and Connect's invoke (which spreads the
// context into each request) sees every part.
import { describe, expect, test } from "bun:test";
import { CommandGateway } from "@angzarr/proto";
import { Code, ConnectError, createContextKey } from "@connectrpc/connect";
import { MAX_MESSAGE_LENGTH } from "../naming/names";
import { LazySignal } from "./lazy-signal";
import { type LeanUnaryOptions, leanAnswer, leanContext, leanLimits } from "./lean-unary";
import { shapeFailure } from "./listener";

const method = CommandGateway.method.execute;

function call(signal = new AbortController().signal) {
  return { url: "http://127.0.0.1/angzarr.CommandGateway/Execute", header: new Headers({ a: "1" }), signal };
}

describe("leanContext", () => {
  test("carries the call's parts as Connect's context does", () => {
    const c = call();
    const context = leanContext(CommandGateway, method, c, undefined);
    expect(context.method).toBe(method);
    expect(context.service).toBe(CommandGateway);
    expect(context.protocolName).toBe("connect");
    expect(context.requestMethod).toBe("POST");
    expect(context.url).toBe(c.url);
    expect(context.requestHeader.get("a")).toBe("1");
    expect(context.responseHeader.get("content-type")).toBe("application/proto");
    expect(context.timeoutMs()).toBeUndefined();
    expect(context.signal.aborted).toBe(false);
  });

  test("the signal aborts with the call's signal, and with the listener's shutdown", () => {
    const request = new AbortController();
    const first = leanContext(CommandGateway, method, call(request.signal), undefined);
    const signal = first.signal;
    request.abort("client gone");
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe("client gone");

    const shutdown = new AbortController();
    const second = leanContext(CommandGateway, method, call(), shutdown.signal);
    const seen: unknown[] = [];
    second.signal.addEventListener("abort", () => seen.push(second.signal.reason));
    shutdown.abort("stopping");
    expect(seen).toEqual(["stopping"]);
  });

  test("an abort before the signal is read is seen when it is read; the first reason wins", () => {
    const context = leanContext(CommandGateway, method, call(), undefined);
    context.abort("failed");
    context.abort("done");
    expect(context.signal.aborted).toBe(true);
    expect(context.signal.reason).toBe("failed");

    const read = leanContext(CommandGateway, method, call(), undefined);
    const signal = read.signal;
    read.abort("failed");
    read.abort("done");
    expect(signal.reason).toBe("failed");
  });

  test("a call already aborted gives an aborted signal", () => {
    const request = new AbortController();
    request.abort("gone");
    const context = leanContext(CommandGateway, method, call(request.signal), undefined);
    expect(context.signal.aborted).toBe(true);
    expect(context.signal.reason).toBe("gone");
  });

  test("the answer's header carries the trailer as Connect's unary protocol does", () => {
    const untouched = leanContext(CommandGateway, method, call(), undefined);
    expect(untouched.answerHeader()).toBeUndefined(); // content-type: application/proto alone

    const plain = leanContext(CommandGateway, method, call(), undefined);
    plain.responseHeader.set("x-h", "1");
    expect([...(plain.answerHeader() ?? [])]).toEqual([
      ["content-type", "application/proto"],
      ["x-h", "1"],
    ]);

    const trailed = leanContext(CommandGateway, method, call(), undefined);
    trailed.responseTrailer.set("x-t", "2");
    const header = trailed.answerHeader();
    expect(header?.get("trailer-x-t")).toBe("2");
    expect(header?.get("content-type")).toBe("application/proto");
  });

  test("a spread of the context (Connect's invoke) holds the signal, the trailer and the values", () => {
    const context = leanContext(CommandGateway, method, call(), undefined);
    const key = createContextKey(0, { description: "k" });
    context.values.set(key, 7);
    const spread = { ...context };
    expect(spread.signal).toBe(context.signal);
    expect(spread.responseTrailer).toBe(context.responseTrailer);
    expect(spread.values.get(key)).toBe(7);
  });
});

describe("leanAnswer", () => {
  const options: LeanUnaryOptions = {
    acceptCompression: [],
    readMaxBytes: 1024,
    writeMaxBytes: 1024,
    interceptors: [],
    shapeFailure,
  };
  const plain = { request: null, response: null };
  const answerOf = (produce: Parameters<typeof leanAnswer>[6]) =>
    leanAnswer(CommandGateway, method, call(), plain, leanLimits(options), options, produce);

  test("a failure is shaped by the listener's shaping before it is answered", async () => {
    const answer = await answerOf(() => {
      throw new ConnectError("x".repeat(MAX_MESSAGE_LENGTH + 50), Code.FailedPrecondition);
    });
    expect(answer.status).toBe(400);
    const json = JSON.parse(new TextDecoder().decode(answer.body)) as { code: string; message: string };
    expect(json.code).toBe("failed_precondition");
    expect(json.message.length).toBe(MAX_MESSAGE_LENGTH + 3);
  });

  test("the context's signal is aborted once the call is answered", async () => {
    let seen: AbortSignal | undefined;
    const answer = await answerOf(async (context) => {
      seen = context.signal;
      context.responseTrailer.set("x-t", "1");
      return new Uint8Array([1, 2]);
    });
    expect(answer.status).toBe(200);
    expect(answer.header?.get("trailer-x-t")).toBe("1");
    expect(seen?.aborted).toBe(true);
  });
});

describe("LazySignal (a call's signal in the HTTP/1.1 loop)", () => {
  test("made when read; an abort before is seen by the read; the first reason wins", () => {
    let made = 0;
    const lazy = new LazySignal(() => {
      made++;
      return new AbortController();
    });
    lazy.abort("closed");
    lazy.abort("done");
    expect(made).toBe(0);
    expect(lazy.signal.aborted).toBe(true);
    expect(lazy.signal.reason).toBe("closed");

    const read = new LazySignal();
    const signal = read.signal;
    expect(read.signal).toBe(signal);
    read.abort();
    read.abort("done");
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe("AbortError");
  });
});
