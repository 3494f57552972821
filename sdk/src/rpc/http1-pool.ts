// A small HTTP/1.1 client for Unix sockets: persistent connections (keep-alive) in a pool, one
// request at a time per connection. Bun's `fetch` with `unix` works too, but costs about 60 µs
// more per call on these machines (bench/socket-roundtrip.bench.ts), which matters on the path
// every command takes to its handler program.
import type { Socket } from "bun";

export interface HttpResponse {
  status: number;
  contentType: string;
  body: Uint8Array;
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

class Connection {
  private buffer: Uint8Array = new Uint8Array(0);
  private pending: Pending | undefined;
  private unsent: Uint8Array | undefined;
  closed = false;
  /** Requests completed on this connection (0 = fresh). */
  served = 0;

  constructor(
    readonly socket: Socket<Connection>,
    private readonly onIdle: (c: Connection) => void,
    private readonly onGone: (c: Connection) => void,
  ) {}

  send(request: Uint8Array, pending: Pending): void {
    this.pending = pending;
    this.buffer = new Uint8Array(0);
    const written = this.socket.write(request);
    if (written < request.length) this.unsent = request.subarray(Math.max(0, written));
  }

  drain(): void {
    const rest = this.unsent;
    if (!rest) return;
    const written = this.socket.write(rest);
    this.unsent = written < rest.length ? rest.subarray(Math.max(0, written)) : undefined;
  }

  data(chunk: Uint8Array): void {
    const merged = new Uint8Array(this.buffer.length + chunk.length);
    merged.set(this.buffer);
    merged.set(chunk, this.buffer.length);
    this.buffer = merged;
    this.tryParse();
  }

  private tryParse(): void {
    const end = indexOf(this.buffer, CRLF2, 0);
    if (end < 0) return;
    const head = decoder.decode(this.buffer.subarray(0, end));
    const lines = head.split("\r\n");
    const status = Number(lines[0]?.split(" ")[1] ?? 0);
    let length = -1;
    let contentType = "";
    let close = false;
    let chunked = false;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "content-length") length = Number(value);
      else if (name === "content-type") contentType = value;
      else if (name === "connection" && value.toLowerCase() === "close") close = true;
      else if (name === "transfer-encoding" && value.toLowerCase().includes("chunked")) chunked = true;
    }
    const start = end + 4;
    let body: Uint8Array;
    let consumed: number;
    if (chunked) {
      const parsed = parseChunked(this.buffer, start);
      if (!parsed) return;
      [body, consumed] = parsed;
    } else {
      if (length < 0) length = 0;
      if (this.buffer.length < start + length) return;
      body = this.buffer.slice(start, start + length);
      consumed = start + length;
    }
    const pending = this.pending;
    this.pending = undefined;
    this.buffer = this.buffer.slice(consumed);
    this.served++;
    pending?.resolve({ status, contentType, body });
    if (close) this.destroy();
    else this.onIdle(this);
  }

  /** The socket went away: fail the request in flight, if any. */
  lost(why: string): void {
    if (this.closed) return;
    this.closed = true;
    const pending = this.pending;
    this.pending = undefined;
    this.onGone(this);
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

export class Http1UnixPool {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();

  constructor(readonly socketPath: string) {}

  private async open(): Promise<Connection> {
    const socket = await Bun.connect<Connection>({
      unix: this.socketPath,
      socket: {
        data: (s, chunk) => s.data.data(chunk),
        drain: (s) => s.data.drain(),
        close: (s) => s.data?.lost("connection closed by the handler"),
        error: (s, err) => s.data?.lost(err.message),
        end: (s) => s.data?.lost("connection ended by the handler"),
      },
      data: undefined as unknown as Connection,
    });
    const connection = new Connection(
      socket,
      (c) => {
        if (!c.closed) this.idle.push(c);
      },
      (c) => {
        this.all.delete(c);
        const i = this.idle.indexOf(c);
        if (i >= 0) this.idle.splice(i, 1);
      },
    );
    socket.data = connection;
    this.all.add(connection);
    return connection;
  }

  /**
   * POSTs `body` to `path`. A reused keep-alive connection that turns out to be closed is replaced
   * and the request sent again once (the handler programs' methods are safe to repeat).
   */
  async post(
    path: string,
    headers: Record<string, string>,
    body: Uint8Array,
    signal?: AbortSignal,
  ): Promise<HttpResponse> {
    let head = `POST ${path} HTTP/1.1\r\nhost: localhost\r\ncontent-length: ${body.length}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    head += "\r\n";
    const headBytes = encoder.encode(head);
    const request = new Uint8Array(headBytes.length + body.length);
    request.set(headBytes);
    request.set(body, headBytes.length);
    for (let attempt = 0; ; attempt++) {
      const connection = this.idle.pop() ?? (await this.open());
      try {
        return await new Promise<HttpResponse>((resolve, reject) => {
          if (signal?.aborted) {
            reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
            return;
          }
          const onAbort = () => {
            // Settle with the abort first: the connection's own failure must not win (or retry).
            reject(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
            connection.destroy();
          };
          signal?.addEventListener("abort", onAbort, { once: true });
          connection.send(request, {
            resolve: (r) => {
              signal?.removeEventListener("abort", onAbort);
              resolve(r);
            },
            reject: (e) => {
              signal?.removeEventListener("abort", onAbort);
              reject(e);
            },
          });
        });
      } catch (err) {
        if (err instanceof ConnectionLost && err.reused && attempt === 0) continue;
        throw err;
      }
    }
  }

  close(): void {
    for (const c of [...this.all]) c.destroy();
  }
}
