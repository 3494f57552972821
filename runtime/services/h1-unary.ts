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

/** What the lean path reads of a request's header: `get` and `has` as `Headers` answer them. */
export interface HeaderReader {
  /** `name` in lower case. */
  get(name: string): string | null;
  has(name: string): boolean;
}

/** A call as the lean loop read it. */
export interface LeanCall {
  url: string;
  /** The request header (made when first read: the lean path reads `fields`). */
  header: Headers;
  fields: HeaderReader;
  body: Uint8Array;
  signal: AbortSignal;
}

export interface LeanAnswer {
  status: number;
  /** Undefined: `content-type: application/proto` alone. */
  header: Headers | undefined;
  body: Uint8Array;
}

/** The answer's header lines when it has no header of its own (LeanAnswer.header undefined). */
const PROTO_HEADER_LINES = "content-type: application/proto\r\n";

/** Per latin1 code: 1 a lower-case field name character (RFC 9110 token), 2 an upper-case letter. */
const NAME_CHARS = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") NAME_CHARS[c.charCodeAt(0)] = 1;
for (let c = 65; c <= 90; c++) NAME_CHARS[c] = 2;

/** What String.prototype.trim removes, in latin1. */
function blank(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160;
}

/**
 * A request head's fields as read (names in lower case, values trimmed, in order), answering
 * `get` and `has` as the `Headers` made from them would; that `Headers` is made only when asked
 * for (Connect's handler, a context's requestHeader, tracing). Made per call, it and its appends
 * were ~7 % of the lean loop's samples.
 */
export class RequestFields implements HeaderReader {
  private made: Headers | undefined;

  /** `pairs`: name, value, name, value… */
  constructor(private readonly pairs: readonly string[]) {}

  get(name: string): string | null {
    const pairs = this.pairs;
    let out: string | null = null;
    for (let i = 0; i < pairs.length; i += 2) {
      if (pairs[i] === name) out = out === null ? (pairs[i + 1] as string) : `${out}, ${pairs[i + 1]}`;
    }
    return out;
  }

  has(name: string): boolean {
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === name) return true;
    return false;
  }

  headers(): Headers {
    if (this.made === undefined) {
      const header = new Headers();
      const pairs = this.pairs;
      for (let i = 0; i < pairs.length; i += 2) header.append(pairs[i] as string, pairs[i + 1] as string);
      this.made = header;
    }
    return this.made;
  }
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
  fields: RequestFields;
  length: number;
  close: boolean;
}

/**
 * The request head, or undefined when the request is not one this loop serves (a field `Headers`
 * would refuse included: node:http answers it).
 */
export function parseHead(
  text: string,
  options: { handlers: ReadonlyMap<string, unknown>; maxBodyBytes: number },
): Parsed | undefined {
  let eol = text.indexOf("\r\n");
  if (eol < 0) eol = text.length;
  const [method, path, version, extra] = text.slice(0, eol).split(" ");
  if (method !== "POST" || version !== "HTTP/1.1" || extra !== undefined || path === undefined)
    return undefined;
  if (!options.handlers.has(path)) return undefined;
  const pairs: string[] = [];
  let length: number | undefined;
  let close = false;
  let host = false;
  let contentType: string | undefined;
  for (let at = eol + 2; at <= text.length; ) {
    let end = text.indexOf("\r\n", at);
    if (end < 0) end = text.length;
    const colon = text.indexOf(":", at);
    if (colon <= at || colon >= end) return undefined;
    // The name and the value trimmed as String.prototype.trim trims; a name `Headers` would
    // refuse (not a token), or a value it would refuse (NUL, CR, LF), is node:http's to answer.
    let from = at;
    let to = colon;
    while (from < to && blank(text.charCodeAt(from))) from++;
    while (to > from && blank(text.charCodeAt(to - 1))) to--;
    if (from === to) return undefined;
    let upper = false;
    for (let k = from; k < to; k++) {
      const kind = NAME_CHARS[text.charCodeAt(k)];
      if (kind === 0 || kind === undefined) return undefined;
      if (kind === 2) upper = true;
    }
    const name = upper ? text.slice(from, to).toLowerCase() : text.slice(from, to);
    from = colon + 1;
    to = end;
    while (from < to && blank(text.charCodeAt(from))) from++;
    while (to > from && blank(text.charCodeAt(to - 1))) to--;
    for (let k = from; k < to; k++) {
      const c = text.charCodeAt(k);
      if (c === 0 || c === 10 || c === 13) return undefined;
    }
    const value = text.slice(from, to);
    at = end + 2;
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
      case "host":
        host = true;
        break;
      case "content-type":
        contentType = contentType === undefined ? value : `${contentType}, ${value}`;
        break;
    }
    pairs.push(name, value);
  }
  if (length === undefined || length > options.maxBodyBytes) return undefined;
  if (!host || !CONNECT_UNARY.test(contentType ?? "")) return undefined;
  return { method, path, fields: new RequestFields(pairs), length, close };
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
    const url = `http://${request.fields.get("host")}${request.path}`;
    const lean = options.lean?.get(request.path);
    const fields = request.fields;
    const quick =
      lean &&
      (await lean({
        url,
        get header() {
          return fields.headers();
        },
        fields,
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
      header: fields.headers(),
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
        if (response.header === undefined) head += PROTO_HEADER_LINES;
        else
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
