import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectionLost, Http1UnixPool } from "./http1-pool";

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

  test("nobody listening: the call fails, it does not hang", async () => {
    const pool = new Http1UnixPool(join(dir, "nobody.sock"));
    await expect(pool.post("/echo", {}, new Uint8Array())).rejects.toBeDefined();
    expect(ConnectionLost).toBeDefined();
  });
});
