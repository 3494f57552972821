// A lean HTTP/1.1 server loop for the calls that dominate a gateway's load: Connect unary POSTs
// with a Content-Length body. Such a request is read straight off the socket and given to the
// same Connect universal handler node:http would reach (so protocol, interceptors, request gate,
// compression, limits and errors are Connect's own), and the answer is written back as one buffer.
// Bun's node:http server costs about as much CPU per call as the whole command pipeline (see
// bench/README.md), and this loop skips it. Anything else on the connection (another method, a
// query, chunked bodies, Expect, Upgrade, HTTP/1.0, gRPC or gRPC-Web content types, a path no
// unary handler serves, an oversized head or body) hands the connection, from that request on,
// to the node:http server exactly as the listener would have.

import { STATUS_CODES } from "node:http";
import type * as net from "node:net";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import type { Logger } from "../observability/log";
import { LazySignal } from "./lazy-signal";
import { CALL_DONE } from "./lean-unary";

const HEAD_END = Buffer.from("\r\n\r\n", "latin1");
/** Heads larger than node:http's default limit go to node:http, which answers 431. */
const MAX_HEAD_BYTES = 16 * 1024;
/** Connect unary content types (proto or JSON, optional parameters). */
const CONNECT_UNARY = /^application\/(proto|json)\s*(;|$)/i;

/** A unary method answered without Connect's plumbing, or `undefined`: not this request (lean-unary.ts). */
export type LeanUnary = (request: LeanCall) => Promise<LeanAnswer | undefined>;

/** A call as the lean loop read it. */
export interface LeanCall {
  url: string;
  header: Headers;
  body: Uint8Array;
  signal: AbortSignal;
}

export interface LeanAnswer {
  status: number;
  header: Headers;
  body: Uint8Array;
}

export interface H1UnaryOptions {
  /** Connect unary handlers by request path. */
  handlers: ReadonlyMap<string, UniversalHandler>;
  /** Paths tried first without Connect's plumbing (they fall back to `handlers`). */
  lean?: ReadonlyMap<string, LeanUnary>;
  /** Larger declared bodies go to node:http (Connect's own read limit answers there). */
  maxBodyBytes: number;
  /** Value of the `keep-alive` response header node:http would send. */
  keepAlive: string;
  /** A call begins on the socket; returns what to call when it ends (bookkeeping). */
  begin(): () => void;
  /** Gives the socket, with the bytes read and not used yet, to the node:http server. */
  handOver(socket: net.Socket, unread: Buffer): void;
  log: Logger;
  name: string;
}

interface Parsed {
  method: string;
  path: string;
  header: Headers;
  length: number;
  close: boolean;
}

/** The request head, or undefined when the request is not one this loop serves. */
function parseHead(text: string, options: H1UnaryOptions): Parsed | undefined {
  const lines = text.split("\r\n");
  const [method, path, version, extra] = (lines[0] ?? "").split(" ");
  if (method !== "POST" || version !== "HTTP/1.1" || extra !== undefined || path === undefined)
    return undefined;
  if (!options.handlers.has(path)) return undefined;
  const header = new Headers();
  let length: number | undefined;
  let close = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(":");
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    switch (name) {
      case "content-length":
        if (length !== undefined || !/^\d{1,15}$/.test(value)) return undefined;
        length = Number(value);
        break;
      case "transfer-encoding":
      case "expect":
      case "upgrade":
        return undefined;
      case "connection":
        if (/(^|,)\s*close\s*(,|$)/i.test(value)) close = true;
        else if (/upgrade/i.test(value)) return undefined;
        break;
    }
    header.append(name, value);
  }
  if (length === undefined || length > options.maxBodyBytes) return undefined;
  if (!header.has("host") || !CONNECT_UNARY.test(header.get("content-type") ?? "")) return undefined;
  return { method, path, header, length, close };
}

async function* once(body: Uint8Array): AsyncIterable<Uint8Array> {
  yield body;
}

/**
 * Serves `socket` (HTTP/1.1, nothing read from it yet but `head`) until it closes or a request
 * needs node:http. Requests are answered one at a time, in order.
 */
export function serveH1Unary(socket: net.Socket, head: Buffer, options: H1UnaryOptions): void {
  let buffer = head;
  let busy = false;
  let done = false;
  let inFlight: LazySignal | undefined;

  const stop = () => {
    done = true;
    socket.off("readable", onReadable);
    socket.off("close", onClose);
  };
  const handOver = () => {
    stop();
    const unread = buffer;
    buffer = Buffer.alloc(0);
    options.handOver(socket, unread);
  };
  const onClose = () => {
    stop();
    inFlight?.abort();
  };
  const onReadable = () => {
    for (let chunk: Buffer | null = socket.read(); chunk !== null; chunk = socket.read()) {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    }
    if (!busy) next();
  };

  const next = () => {
    if (done || buffer.length === 0) return;
    const end = buffer.indexOf(HEAD_END);
    if (end < 0) {
      if (buffer.length > MAX_HEAD_BYTES) handOver();
      return;
    }
    const parsed = end > MAX_HEAD_BYTES ? undefined : parseHead(buffer.toString("latin1", 0, end), options);
    if (parsed === undefined) {
      handOver();
      return;
    }
    const start = end + HEAD_END.length;
    if (buffer.length < start + parsed.length) return; // the rest of the body is on its way
    const body = new Uint8Array(buffer.subarray(start, start + parsed.length));
    buffer = buffer.subarray(start + parsed.length);
    call(parsed, body);
  };

  /** The answer: the lean path's when it takes the request, else Connect's handler's. */
  const answer = async (request: Parsed, body: Uint8Array, call: LazySignal): Promise<LeanAnswer> => {
    const url = `http://${request.header.get("host")}${request.path}`;
    const lean = options.lean?.get(request.path);
    const quick =
      lean &&
      (await lean({
        url,
        header: request.header,
        body,
        get signal() {
          return call.signal;
        },
      }));
    if (quick) return quick;
    const handler = options.handlers.get(request.path) as UniversalHandler;
    const response = await handler({
      httpVersion: "1.1",
      method: request.method,
      url,
      header: request.header,
      body: once(body),
      signal: call.signal,
    });
    const chunks: Uint8Array[] = [];
    if (response.body) for await (const chunk of response.body) chunks.push(chunk);
    return {
      status: response.status,
      header: response.header ?? new Headers(),
      body: chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks),
    };
  };

  const call = (request: Parsed, body: Uint8Array) => {
    busy = true;
    const ended = options.begin();
    const controller = new LazySignal();
    inFlight = controller;
    answer(request, body, controller)
      .then((response) => {
        if (socket.destroyed) return;
        let head = `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ""}\r\n`;
        response.header.forEach((value, name) => {
          if (name !== "content-length" && name !== "connection" && name !== "keep-alive") {
            head += `${name}: ${value}\r\n`;
          }
        });
        head += request.close
          ? "connection: close\r\n"
          : `connection: keep-alive\r\nkeep-alive: ${options.keepAlive}\r\n`;
        head += `content-length: ${response.body.byteLength}\r\n\r\n`;
        socket.write(Buffer.concat([Buffer.from(head, "latin1"), response.body]));
        if (request.close) {
          stop();
          socket.end();
        }
      })
      .catch((err: unknown) => {
        options.log.warn(`${options.name}.call_failed`, {
          path: request.path,
          error: (err as Error).message ?? String(err),
        });
        socket.destroy();
      })
      .finally(() => {
        busy = false;
        inFlight = undefined;
        ended();
        // As node:http does once a response is done: the call's signal is released.
        controller.abort(CALL_DONE);
        next();
      });
  };

  socket.on("readable", onReadable);
  socket.once("close", onClose);
  next();
}
