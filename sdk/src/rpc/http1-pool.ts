// A small HTTP/1.1 client for Unix sockets (and TCP): persistent connections (keep-alive) in a
// pool, one request at a time per connection. Bun's `fetch` with `unix` works too, but costs about
// 60 µs more per call on these machines (bench/socket-roundtrip.bench.ts), which matters on the
// path every command takes to its handler program.
import type { Socket } from "bun";
import { isStreamed, type RequestBody, type StreamedBody } from "./protocol";

/** Where a pool connects: a Unix socket path, or a TCP host and port. */
export type PoolTarget = string | { hostname: string; port: number };

export interface PoolOptions {
  /** Who answers, in connection-loss messages ("the handler"). */
  peer?: string;
  /**
   * Send a request again once when a reused keep-alive connection turns out to be closed
   * (default true: only for servers whose methods are safe to repeat).
   */
  retryReused?: boolean;
  /** Open connections at most; further requests wait for one to be free (default unbounded). */
  maxConnections?: number;
  /** A connection idle this long is closed before it is used again, ms (default: kept). */
  idleMs?: number;
}

export interface HttpResponse {
  status: number;
  contentType: string;
  body: Uint8Array;
}

/** No whole response came within the call's `timeoutMs` (the name AbortSignal.timeout's reason has). */
export class CallTimedOut extends Error {
  override readonly name = "TimeoutError";
}

/** The connection failed before a whole response arrived; `reused` = it had served requests before. */
export class ConnectionLost extends Error {
  override readonly name = "ConnectionLost";
  constructor(
    message: string,
    readonly reused: boolean,
  ) {
    super(message);
  }
}

const CRLF2 = new Uint8Array([13, 10, 13, 10]);
const CRLF = CRLF2.subarray(0, 2);
/** The chunk that ends a chunked body (no trailers). */
const LAST_CHUNK = new Uint8Array([0x30, 13, 10, 13, 10]);
/**
 * Requests up to this size go out as one buffer (head and body joined: one write); larger ones
 * as their parts, one after another, so a multi-megabyte body is never copied to be sent.
 */
const JOIN_BELOW = 64 * 1024;
/** A connection's read buffer is kept between responses up to this size. */
const KEPT_BYTES = 64 * 1024;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

interface Pending {
  resolve(response: HttpResponse): void;
  reject(error: Error): void;
}

/** What a response's head says about reading it. */
interface ResponseHead {
  status: number;
  contentType: string;
  /** Content-Length, or -1 when none was given. */
  length: number;
  close: boolean;
  chunked: boolean;
  /** Where the body begins. */
  start: number;
}

/** Where the head's blank line (CRLF CRLF) begins in the first `length` bytes, or -1. */
function headEnd(bytes: Uint8Array, length: number): number {
  for (let i = 0; i + 3 < length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}

/**
 * The status line and the headers the pool acts on. Header names are matched without case, and
 * a line's name is only lowered when its length and first letter could make it one of them.
 */
function parseHead(text: string, start: number): ResponseHead {
  const head: ResponseHead = { status: 0, contentType: "", length: -1, close: false, chunked: false, start };
  let at = text.indexOf("\r\n");
  const statusLine = at < 0 ? text : text.slice(0, at);
  const space = statusLine.indexOf(" ");
  head.status = Number(statusLine.slice(space + 1, statusLine.indexOf(" ", space + 1) >>> 0));
  while (at >= 0) {
    const from = at + 2;
    at = text.indexOf("\r\n", from);
    const line = at < 0 ? text.slice(from) : text.slice(from, at);
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const first = name.charCodeAt(0) | 0x20;
    if (first !== 0x63 /* c */ && first !== 0x74 /* t */) continue;
    if (name.length !== 10 && name.length !== 12 && name.length !== 14 && name.length !== 17) continue;
    const lowered = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (lowered === "content-length") head.length = Number(value);
    else if (lowered === "content-type") head.contentType = value;
    else if (lowered === "connection" && value.toLowerCase() === "close") head.close = true;
    else if (lowered === "transfer-encoding" && value.toLowerCase().includes("chunked")) head.chunked = true;
  }
  return head;
}

class Connection {
  private store: Uint8Array = new Uint8Array(0);
  private length = 0;
  /** The head of the response being read, once it arrived whole. */
  private head: ResponseHead | undefined;
  private pending: Pending | undefined;
  /** What is left to write of the request, in order (the first part possibly begun). */
  private unsent: Uint8Array[] = [];
  /** A streamed body is still being written (the connection cannot serve another request). */
  private streaming = false;
  /** Called once `unsent` is empty or the connection is gone (a streamed body waits on it). */
  private onWritable: (() => void) | undefined;
  closed = false;
  /** Requests completed on this connection (0 = fresh). */
  served = 0;
  /** When it last went idle (performance.now()). */
  idleSince = 0;
  /** When the request in flight times out (performance.now(); Infinity: never). */
  private deadline = Number.POSITIVE_INFINITY;
  /**
   * One timer per connection, re-armed for each request (`refresh` when the duration is the one
   * it has): a timer per call (AbortSignal.timeout) stays in the timer heap for its whole
   * duration after the answer came, tens of thousands of them at a few thousand calls/s.
   */
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerMs = 0;

  constructor(
    readonly socket: Socket<Connection>,
    private readonly onIdle: (c: Connection) => void,
    private readonly onGone: (c: Connection) => void,
  ) {}

  /**
   * The request about to be sent times out at `deadline` (performance.now(); Infinity: never).
   * The timer wakes at the deadline of the request it was armed for; one that finds no request
   * of its own past its deadline (answered, or a later one) does nothing or sleeps on.
   */
  expireAt(deadline: number): void {
    this.deadline = deadline;
    if (deadline === Number.POSITIVE_INFINITY) return;
    const ms = Math.max(1, Math.ceil(deadline - performance.now()));
    if (this.timer !== undefined && this.timerMs === ms) this.timer.refresh();
    else {
      clearTimeout(this.timer);
      this.timerMs = ms;
      this.timer = setTimeout(() => this.expire(), ms);
      this.timer.unref();
    }
  }

  private expire(): void {
    const pending = this.pending;
    if (pending === undefined || this.closed || this.deadline === Number.POSITIVE_INFINITY) return;
    const left = this.deadline - performance.now();
    if (left > 0) {
      this.timerMs = Math.ceil(left);
      this.timer = setTimeout(() => this.expire(), this.timerMs);
      this.timer.unref();
      return;
    }
    this.pending = undefined;
    pending.reject(new CallTimedOut(`no answer within the call's deadline`));
    this.destroy();
  }

  /** Writes the request's parts in order; what the socket does not take now goes on `drain`. */
  send(request: readonly Uint8Array[], pending: Pending): void {
    this.pending = pending;
    this.length = 0;
    this.head = undefined;
    this.unsent = [...request];
    this.drain();
  }

  /**
   * Writes the head, then each piece of the body as one chunk as it is made. The next piece is
   * asked for only once the socket took the previous one (backpressure), so the body is read,
   * sent and (by the receiver) consumed in turns. A failure of the body fails the request with
   * that error and closes the connection (the receiver never sees the body's end).
   */
  stream(head: Uint8Array, body: StreamedBody, pending: Pending): void {
    this.pending = pending;
    this.length = 0;
    this.head = undefined;
    this.unsent = [head];
    this.streaming = true;
    this.drain();
    this.pump(body).then(
      () => {
        this.streaming = false;
      },
      (err: unknown) => {
        this.streaming = false;
        const failed = this.pending;
        this.pending = undefined;
        failed?.reject(err instanceof Error ? err : new Error(String(err)));
        this.destroy();
      },
    );
  }

  private async pump(body: StreamedBody): Promise<void> {
    const pieces = body.parts()[Symbol.asyncIterator]();
    let finished = false;
    try {
      for (;;) {
        const next = await pieces.next();
        // Answered before the body's end, or gone: nothing more to send.
        if (this.pending === undefined || this.closed) return;
        if (next.done) break;
        let size = 0;
        for (const b of next.value) size += b.length;
        if (size === 0) continue;
        this.unsent.push(encoder.encode(`${size.toString(16)}\r\n`), ...next.value, CRLF);
        this.drain();
        if (this.unsent.length > 0) await new Promise<void>((resolve) => (this.onWritable = resolve));
      }
      finished = true;
      this.unsent.push(LAST_CHUNK);
      this.drain();
    } finally {
      if (!finished) await pieces.return?.();
    }
  }

  private writable(): void {
    const resolve = this.onWritable;
    this.onWritable = undefined;
    resolve?.();
  }

  /** Back to the pool unused. */
  release(): void {
    this.onIdle(this);
  }

  drain(): void {
    const queue = this.unsent;
    let done = 0;
    while (done < queue.length) {
      const part = queue[done] as Uint8Array;
      const written = part.length === 0 ? 0 : this.socket.write(part);
      if (written < part.length) {
        queue[done] = part.subarray(Math.max(0, written));
        break;
      }
      done++;
    }
    if (done > 0) queue.splice(0, done);
    if (queue.length === 0) this.writable();
  }

  /**
   * Appends a chunk of the response. The buffer grows by doubling: a response of many chunks
   * (a saga's answer of 17 MB arrives in hundreds) is copied a few times in all, not once per
   * chunk (which held the event loop for seconds).
   */
  data(chunk: Uint8Array): void {
    const needed = this.length + chunk.length;
    if (needed > this.store.length) {
      const grown = new Uint8Array(Math.max(needed, this.store.length * 2, 16 * 1024));
      grown.set(this.store.subarray(0, this.length));
      this.store = grown;
    }
    this.store.set(chunk, this.length);
    this.length = needed;
    this.tryParse();
  }

  /**
   * Drops the first `consumed` bytes (a response read). The buffer is kept for the next response:
   * allocating a fresh one per response (16 KiB, zeroed) cost more than the rest of reading it.
   * One grown past KEPT_BYTES by a large response is let go.
   */
  private keep(consumed: number): void {
    const rest = this.length - consumed;
    if (this.store.length > KEPT_BYTES) this.store = this.store.slice(consumed, this.length);
    else if (rest > 0) this.store.copyWithin(0, consumed, this.length);
    this.length = rest;
  }

  /** What has arrived of the response (a view into the growing buffer). */
  private get buffer(): Uint8Array {
    return this.store.subarray(0, this.length);
  }

  private tryParse(): void {
    // The head is read once per response, not again with each chunk of a long body.
    let head = this.head;
    if (head === undefined) {
      const end = headEnd(this.store, this.length);
      if (end < 0) return;
      head = parseHead(decoder.decode(this.store.subarray(0, end)), end + 4);
      this.head = head;
    }
    const start = head.start;
    let body: Uint8Array;
    let consumed: number;
    if (head.chunked) {
      const parsed = parseChunked(this.buffer, start);
      if (!parsed) return;
      [body, consumed] = parsed;
    } else {
      const length = Math.max(0, head.length);
      if (this.length < start + length) return;
      body = this.store.slice(start, start + length);
      consumed = start + length;
    }
    const { status, contentType, close } = head;
    this.head = undefined;
    const pending = this.pending;
    this.pending = undefined;
    this.keep(consumed);
    this.served++;
    pending?.resolve({ status, contentType, body });
    // An answer before the whole body went out: the rest of it would be read as the next request.
    if (close || this.streaming) this.destroy();
    else this.onIdle(this);
  }

  /** The socket went away: fail the request in flight, if any. */
  lost(why: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    const pending = this.pending;
    this.pending = undefined;
    this.onGone(this);
    this.writable();
    pending?.reject(new ConnectionLost(why, this.served > 0));
  }

  destroy(): void {
    if (!this.closed) this.socket.end();
    this.lost("connection closed");
  }
}

function parseChunked(buffer: Uint8Array, start: number): [Uint8Array, number] | undefined {
  const parts: Uint8Array[] = [];
  let at = start;
  for (;;) {
    const lineEnd = indexOf(buffer, CRLF2.subarray(0, 2), at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(decoder.decode(buffer.subarray(at, lineEnd)), 16);
    const dataStart = lineEnd + 2;
    if (buffer.length < dataStart + size + 2) return undefined;
    if (size === 0) {
      const total = parts.reduce((n, p) => n + p.length, 0);
      const body = new Uint8Array(total);
      let o = 0;
      for (const p of parts) {
        body.set(p, o);
        o += p.length;
      }
      return [body, dataStart + 2];
    }
    parts.push(buffer.subarray(dataStart, dataStart + size));
    at = dataStart + size + 2;
  }
}

export class Http1Pool {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  /** Requests waiting for a connection (maxConnections reached). */
  private readonly waiting: ((c: Connection | undefined) => void)[] = [];
  /** Connections being opened (count towards maxConnections). */
  private opening = 0;
  private readonly peer: string;
  private readonly retryReused: boolean;
  private readonly maxConnections: number;
  private readonly idleMs: number;
  private readonly hostHeader: string;

  constructor(
    readonly target: PoolTarget,
    options: PoolOptions = {},
  ) {
    this.peer = options.peer ?? "the handler";
    this.retryReused = options.retryReused ?? true;
    this.maxConnections = options.maxConnections ?? Number.POSITIVE_INFINITY;
    this.idleMs = options.idleMs ?? Number.POSITIVE_INFINITY;
    this.hostHeader = typeof target === "string" ? "localhost" : `${target.hostname}:${target.port}`;
  }

  private async open(): Promise<Connection> {
    const handlers = {
      data: (s: Socket<Connection>, chunk: Uint8Array) => s.data.data(chunk),
      drain: (s: Socket<Connection>) => s.data.drain(),
      close: (s: Socket<Connection>) => s.data?.lost(`connection closed by ${this.peer}`),
      error: (s: Socket<Connection>, err: Error) => s.data?.lost(err.message),
      end: (s: Socket<Connection>) => s.data?.lost(`connection ended by ${this.peer}`),
    };
    const data = undefined as unknown as Connection;
    const t = this.target;
    const socket =
      typeof t === "string"
        ? await Bun.connect<Connection>({ unix: t, socket: handlers, data })
        : await Bun.connect<Connection>({ hostname: t.hostname, port: t.port, socket: handlers, data });
    const connection = new Connection(
      socket,
      (c) => {
        if (c.closed) return;
        const next = this.waiting.shift();
        if (next) next(c);
        else {
          c.idleSince = performance.now();
          this.idle.push(c);
        }
      },
      (c) => {
        this.all.delete(c);
        const i = this.idle.indexOf(c);
        if (i >= 0) this.idle.splice(i, 1);
        // A slot is free: a waiting request opens its own connection.
        this.waiting.shift()?.(undefined);
      },
    );
    socket.data = connection;
    this.all.add(connection);
    return connection;
  }

  /** An idle connection, a new one, or (at maxConnections) the next one to be free. */
  private async acquire(): Promise<Connection> {
    for (;;) {
      const c = this.idle.pop();
      if (!c) break;
      if (performance.now() - c.idleSince <= this.idleMs) return c;
      c.destroy();
    }
    if (this.all.size + this.opening >= this.maxConnections) {
      const handed = await new Promise<Connection | undefined>((resolve) => this.waiting.push(resolve));
      if (handed) return handed;
      return this.acquire();
    }
    this.opening++;
    try {
      return await this.open();
    } catch (err) {
      // The slot it held is free again: a waiting request tries for itself.
      this.waiting.shift()?.(undefined);
      throw err;
    } finally {
      this.opening--;
    }
  }

  /**
   * POSTs `body` to `path`. A reused keep-alive connection that turns out to be closed is replaced
   * and the request sent again once (the handler programs' methods are safe to repeat).
   */
  async post(
    path: string,
    headers: Record<string, string>,
    body: RequestBody,
    signal?: AbortSignal,
    timeoutMs?: number,
  ): Promise<HttpResponse> {
    // Counted from now, the wait for a free connection included (as a signal made here would).
    const deadline = timeoutMs ? performance.now() + timeoutMs : Number.POSITIVE_INFINITY;
    const streamed = isStreamed(body) ? body : undefined;
    const parts = body instanceof Uint8Array ? [body] : isStreamed(body) ? [] : body;
    let length = 0;
    for (const part of parts) length += part.length;
    let head = `POST ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n`;
    head += streamed ? "transfer-encoding: chunked\r\n" : `content-length: ${length}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    head += "\r\n";
    const headBytes = encoder.encode(head);
    let request: Uint8Array[];
    if (streamed) request = [];
    else if (headBytes.length + length < JOIN_BELOW) {
      const joined = new Uint8Array(headBytes.length + length);
      joined.set(headBytes);
      let at = headBytes.length;
      for (const part of parts) {
        joined.set(part, at);
        at += part.length;
      }
      request = [joined];
    } else request = [headBytes, ...parts];
    for (let attempt = 0; ; attempt++) {
      const connection = await this.acquire();
      if (signal?.aborted) {
        connection.release();
        throw signal.reason instanceof Error ? signal.reason : new Error("aborted");
      }
      if (performance.now() >= deadline) {
        connection.release();
        throw new CallTimedOut("no connection free within the call's deadline");
      }
      try {
        return await new Promise<HttpResponse>((resolve, reject) => {
          if (signal?.aborted) {
            reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
            return;
          }
          connection.expireAt(deadline);
          if (signal === undefined) {
            if (streamed) connection.stream(headBytes, streamed, { resolve, reject });
            else connection.send(request, { resolve, reject });
            return;
          }
          const onAbort = () => {
            // Settle with the abort first: the connection's own failure must not win (or retry).
            reject(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
            connection.destroy();
          };
          signal?.addEventListener("abort", onAbort, { once: true });
          const pending: Pending = {
            resolve: (r) => {
              signal?.removeEventListener("abort", onAbort);
              resolve(r);
            },
            reject: (e) => {
              signal?.removeEventListener("abort", onAbort);
              reject(e);
            },
          };
          if (streamed) connection.stream(headBytes, streamed, pending);
          else connection.send(request, pending);
        });
      } catch (err) {
        if (err instanceof ConnectionLost && err.reused && attempt === 0 && this.retryReused) continue;
        throw err;
      }
    }
  }

  close(): void {
    for (const c of [...this.all]) c.destroy();
  }
}

/** The pool on a Unix socket (the handler programs' transport). */
export class Http1UnixPool extends Http1Pool {
  constructor(
    readonly socketPath: string,
    options: PoolOptions = {},
  ) {
    super(socketPath, options);
  }
}
