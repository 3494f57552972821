import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectionLost, Http1Pool, Http1UnixPool } from "./http1-pool";

describe("HTTP/1.1 keep-alive pool on a Unix socket", () => {
  let dir: string;
  let socket: string;
  let server: ReturnType<typeof Bun.serve>;
  const peers = new Set<string>();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "angzarr-pool-"));
    socket = join(dir, "s.sock");
    server = Bun.serve({
      unix: socket,
      async fetch(req, srv) {
        peers.add(String(srv.requestIP(req)?.port ?? "unix"));
        const url = new URL(req.url);
        const body = new Uint8Array(await req.arrayBuffer());
        if (url.pathname === "/slow") await Bun.sleep(300);
        if (url.pathname === "/chunked") {
          return new Response(
            new ReadableStream({
              start(c) {
                c.enqueue(new Uint8Array([1, 2]));
                c.enqueue(new Uint8Array([3]));
                c.close();
              },
            }),
          );
        }
        if (url.pathname === "/close") return new Response(body, { headers: { connection: "close" } });
        if (url.pathname === "/error")
          return new Response('{"code":"not_found"}', {
            status: 404,
            headers: { "content-type": "application/json" },
          });
        return new Response(body, { headers: { "content-type": "application/proto" } });
      },
    });
  });
  afterAll(() => {
    server.stop(true);
    rmSync(dir, { recursive: true, force: true });
  });

  test("a response of many chunks is assembled with a few copies of it, not one per chunk", async () => {
    const pool = new Http1UnixPool(socket);
    const size = 8 * 1024 * 1024;
    const body = new Uint8Array(size).map((_, i) => i % 251);
    // Bytes copied into typed arrays on this side while the response arrives.
    const set = Uint8Array.prototype.set;
    let copied = 0;
    Uint8Array.prototype.set = function (this: Uint8Array, source: ArrayLike<number>, offset?: number) {
      copied += source.length;
      return set.call(this, source, offset);
    } as typeof set;
    let response: Awaited<ReturnType<typeof pool.post>>;
    try {
      response = await pool.post("/echo", {}, body);
    } finally {
      Uint8Array.prototype.set = set;
    }
    expect(Buffer.compare(Buffer.from(response.body), Buffer.from(body))).toBe(0);
    // The request is copied once, the response assembled in a doubling buffer (under 2× its
    // size) and cut out once: a copy per chunk would be hundreds of megabytes here.
    expect(copied).toBeLessThan(5 * size);
    pool.close();
  });

  test("a body given as parts arrives as their concatenation, small and large", async () => {
    const pool = new Http1UnixPool(socket);
    for (const sizes of [[], [0], [3, 0, 5], [10, 300_000, 7], [2_000_000, 1, 2_000_000]]) {
      const parts = sizes.map((size, k) => new Uint8Array(size).map((_, i) => (i * 7 + k) % 253));
      const whole = new Uint8Array(sizes.reduce((n, s) => n + s, 0));
      let at = 0;
      for (const part of parts) {
        whole.set(part, at);
        at += part.length;
      }
      const res = await pool.post("/echo", {}, parts);
      expect(res.status).toBe(200);
      expect(Buffer.compare(Buffer.from(res.body), Buffer.from(whole))).toBe(0);
    }
    pool.close();
  });

  test("a streamed body goes chunked, piece by piece, and arrives whole; a failing one fails the call", async () => {
    const pool = new Http1UnixPool(socket);
    const sizes = [5, 0, 2_000_000, 1, 700_000, 0];
    const pieces = sizes.map((size, k) => new Uint8Array(size).map((_, i) => (i * 3 + k) % 251));
    const whole = new Uint8Array(sizes.reduce((n, s) => n + s, 0));
    let at = 0;
    for (const piece of pieces) {
      whole.set(piece, at);
      at += piece.length;
    }
    let made = 0;
    const body = {
      async *parts() {
        for (const piece of pieces) {
          made++;
          // Two buffers per piece: they go out as one chunk.
          yield [piece.subarray(0, 1), piece.subarray(1)];
        }
      },
    };
    const res = await pool.post("/echo", {}, body);
    expect(made).toBe(sizes.length);
    expect(Buffer.compare(Buffer.from(res.body), Buffer.from(whole))).toBe(0);
    const broken = new Error("window read short");
    const failing = {
      async *parts() {
        yield [new Uint8Array(300_000)];
        throw broken;
      },
    };
    await expect(pool.post("/echo", {}, failing)).rejects.toBe(broken);
    // The pool goes on (the cut-off connection is not reused).
    expect((await pool.post("/echo", {}, Uint8Array.of(1, 2))).body).toEqual(Uint8Array.of(1, 2));
    expect((await pool.post("/echo", {}, body)).body.length).toBe(whole.length);
    pool.close();
  });

  test("echoes bodies of every size and reuses one connection for sequential calls", async () => {
    const pool = new Http1UnixPool(socket);
    for (const size of [0, 1, 1000, 300_000]) {
      const body = new Uint8Array(size).map((_, i) => i % 251);
      const res = await pool.post("/echo", {}, body);
      expect(res.status).toBe(200);
      expect(res.contentType).toBe("application/proto");
      expect(res.body).toEqual(body);
    }
    pool.close();
  });

  test("concurrent calls get their own answers", async () => {
    const pool = new Http1UnixPool(socket);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => pool.post("/echo", {}, new TextEncoder().encode(`call-${i}`))),
    );
    answers.forEach((a, i) => {
      expect(new TextDecoder().decode(a.body)).toBe(`call-${i}`);
    });
    pool.close();
  });

  test("chunked responses, error statuses and `connection: close` are handled", async () => {
    const pool = new Http1UnixPool(socket);
    expect((await pool.post("/chunked", {}, new Uint8Array())).body).toEqual(new Uint8Array([1, 2, 3]));
    const error = await pool.post("/error", {}, new Uint8Array());
    expect(error.status).toBe(404);
    expect(new TextDecoder().decode(error.body)).toBe('{"code":"not_found"}');
    expect((await pool.post("/close", {}, new Uint8Array([9]))).body).toEqual(new Uint8Array([9]));
    expect((await pool.post("/echo", {}, new Uint8Array([8]))).body).toEqual(new Uint8Array([8]));
    pool.close();
  });

  test("an abort fails the call and the pool keeps working", async () => {
    const pool = new Http1UnixPool(socket);
    const err = await pool.post("/slow", {}, new Uint8Array(), AbortSignal.timeout(50)).catch((e) => e);
    expect((err as Error).name).toBe("TimeoutError");
    expect((await pool.post("/echo", {}, new Uint8Array([7]))).body).toEqual(new Uint8Array([7]));
    pool.close();
  });

  test("a call's timeoutMs fails it with TimeoutError; a deadline of an earlier call never cuts a later one", async () => {
    const pool = new Http1UnixPool(socket, { maxConnections: 1 });
    const err = await pool.post("/slow", {}, new Uint8Array(), undefined, 50).catch((e) => e);
    expect((err as Error).name).toBe("TimeoutError");
    expect((await pool.post("/echo", {}, new Uint8Array([7]), undefined, 5_000)).body).toEqual(
      new Uint8Array([7]),
    );
    // The one connection served a call with a 100 ms deadline; the next calls (none, then a
    // longer one) outlive that deadline and are answered.
    expect((await pool.post("/echo", {}, new Uint8Array([6]), undefined, 100)).body).toEqual(
      new Uint8Array([6]),
    );
    expect((await pool.post("/slow", {}, new Uint8Array([5]))).body).toEqual(new Uint8Array([5]));
    expect((await pool.post("/echo", {}, new Uint8Array([4]), undefined, 100)).body).toEqual(
      new Uint8Array([4]),
    );
    expect((await pool.post("/slow", {}, new Uint8Array([3]), undefined, 5_000)).body).toEqual(
      new Uint8Array([3]),
    );
    // The wait for the one connection counts towards the deadline.
    const slow = pool.post("/slow", {}, new Uint8Array([2]));
    const waited = await pool.post("/echo", {}, new Uint8Array([1]), undefined, 100).catch((e) => e);
    expect((waited as Error).name).toBe("TimeoutError");
    expect((await slow).body).toEqual(new Uint8Array([2]));
    pool.close();
  });

  test("a response head of any letter case, arriving a byte at a time, is read once whole", async () => {
    const head = "HTTP/1.1 201\r\nCONTENT-Type: text/x\r\nX-Other: 1\r\nContent-LENGTH: 3\r\n\r\n";
    const answer = new TextEncoder().encode(`${head}abc${head.replace("201", "202")}xyz`);
    const server = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        async data(s) {
          // Both answers for the first request (the second arrives before it is asked for).
          for (const byte of answer) {
            s.write(new Uint8Array([byte]));
            await Bun.sleep(0);
          }
        },
      },
    });
    const pool = new Http1Pool({ hostname: "127.0.0.1", port: server.port }, { maxConnections: 1 });
    const first = await pool.post("/", {}, new Uint8Array([1]));
    expect([first.status, first.contentType, new TextDecoder().decode(first.body)]).toEqual([
      201,
      "text/x",
      "abc",
    ]);
    pool.close();
    server.stop(true);
  });

  test("nobody listening: the call fails, it does not hang", async () => {
    const pool = new Http1UnixPool(join(dir, "nobody.sock"));
    await expect(pool.post("/echo", {}, new Uint8Array())).rejects.toBeDefined();
    expect(ConnectionLost).toBeDefined();
  });

  test("TCP with a connection cap: calls beyond it wait for a free connection, every one answered", async () => {
    const tcp = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(req, srv) {
        const port = srv.requestIP(req)?.port ?? 0;
        await Bun.sleep(20);
        return new Response(`${port}:${await req.text()}`);
      },
    });
    const pool = new Http1Pool({ hostname: "127.0.0.1", port: tcp.port ?? 0 }, { maxConnections: 2 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 9 }, (_, i) => pool.post("/x", {}, new TextEncoder().encode(`c${i}`))),
      );
      const texts = answers.map((a) => new TextDecoder().decode(a.body));
      texts.forEach((t, i) => {
        expect(t.endsWith(`:c${i}`)).toBe(true);
      });
      expect(new Set(texts.map((t) => t.split(":")[0])).size).toBeLessThanOrEqual(2);
    } finally {
      pool.close();
      tcp.stop(true);
    }
  });

  test("without retries, a reused connection lost under a call fails the call instead of resending it", async () => {
    // Answers the first request of each connection, drops the connection on the second.
    let requests = 0;
    const raw = Bun.listen<{ served: number }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open: (s) => {
          s.data = { served: 0 };
        },
        data: (s) => {
          requests++;
          if (s.data.served++ === 0) s.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
          else s.end();
        },
      },
    });
    const target = { hostname: "127.0.0.1", port: raw.port };
    const once = new Http1Pool(target, { retryReused: false });
    const twice = new Http1Pool(target);
    try {
      expect((await once.post("/x", {}, new Uint8Array())).status).toBe(200);
      await expect(once.post("/x", {}, new Uint8Array())).rejects.toBeInstanceOf(ConnectionLost);
      expect(requests).toBe(2);
      // The default pool sends it again on a fresh connection.
      expect((await twice.post("/x", {}, new Uint8Array())).status).toBe(200);
      expect((await twice.post("/x", {}, new Uint8Array())).status).toBe(200);
      expect(requests).toBe(5);
      // A streamed body sent again is made again from its start.
      let made = 0;
      const streamed = {
        async *parts() {
          made++;
          yield [Uint8Array.of(1)];
        },
      };
      expect((await twice.post("/x", {}, streamed)).status).toBe(200);
      expect(made).toBe(2);
    } finally {
      once.close();
      twice.close();
      raw.stop(true);
    }
  });
});
