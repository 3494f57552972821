import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  EventBookSchema,
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  ProjectionSchema,
  Projector,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { addHealth, HealthRegistry } from "../health";
import { MAX_CONNECTIONS_PER_SOCKET, serveUnix, type UnixServer, UnixSocketClient, unary } from "./client";
import { UnaryRouter } from "./router";

describe("Connect unary on a real Unix socket", () => {
  let dir: string;
  let server: UnixServer;
  let socket: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "angzarr-sock-"));
    socket = join(dir, "h.sock");
    const router = addHealth(new UnaryRouter(), new HealthRegistry()).add(Projector.method.handle, (book) =>
      create(ProjectionSchema, { projector: "echo", sequence: book.pages.length }),
    );
    server = serveUnix(router, socket);
  });

  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the socket file is private to its owner (0600)", () => {
    expect(statSync(socket).mode & 0o777).toBe(0o600);
  });

  test("health and a typed call round-trip", async () => {
    const client = new UnixSocketClient(socket);
    const health = await unary(client, Health.method.check, create(HealthCheckRequestSchema, {}));
    expect(health.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const out = await unary(
      client,
      Projector.method.handle,
      create(EventBookSchema, { pages: [{}, {}, {}] }),
    );
    expect(out.sequence).toBe(3);
  });

  test("a 16 MiB message is accepted", async () => {
    const client = new UnixSocketClient(socket);
    const big = create(EventBookSchema, {
      pages: [{ event: { typeUrl: "type.test/x", value: new Uint8Array(16 * 1024 * 1024) } }],
    });
    const out = await unary(client, Projector.method.handle, big);
    expect(out.sequence).toBe(1);
  });

  test("a request over the program's limit is RESOURCE_EXHAUSTED naming the limit (not HTTP 413)", async () => {
    const limit = 64 * 1024;
    const small = join(dir, "small.sock");
    const router = new UnaryRouter().add(Projector.method.handle, (book) =>
      create(ProjectionSchema, { projector: "echo", sequence: book.pages.length }),
    );
    const limited = serveUnix(router, small, limit);
    try {
      const client = new UnixSocketClient(small);
      const sized = (bytes: number) =>
        create(EventBookSchema, {
          pages: [{ event: { typeUrl: "type.test/x", value: new Uint8Array(bytes) } }],
        });
      expect((await unary(client, Projector.method.handle, sized(limit - 100))).sequence).toBe(1);
      // Just over: the program's own answer; far over: Bun's HTTP 413, read as the same code.
      for (const bytes of [limit + 1, limit + 4 * 1024 * 1024]) {
        const err = await unary(client, Projector.method.handle, sized(bytes)).catch((e) => e);
        expect(err.code).toBe(Code.ResourceExhausted);
      }
      const near = await unary(client, Projector.method.handle, sized(limit + 1)).catch((e) => e);
      expect(near.rawMessage).toContain(`message limit of ${limit} bytes`);
    } finally {
      await limited.stop();
    }
  });

  test("a flood of calls shares at most MAX_CONNECTIONS_PER_SOCKET connections, every call answered", async () => {
    const counted = join(dir, "counted.sock");
    let opened = 0;
    const answer = "HTTP/1.1 200 OK\r\ncontent-type: application/proto\r\ncontent-length: 0\r\n\r\n";
    // Answers each request a little later, so that calls overlap.
    const server = Bun.listen({
      unix: counted,
      socket: {
        open: () => {
          opened++;
        },
        data: (s) => {
          setTimeout(() => s.write(answer), 2);
        },
      },
    });
    try {
      const client = new UnixSocketClient(counted);
      const calls = MAX_CONNECTIONS_PER_SOCKET * 4;
      const answers = await Promise.all(
        Array.from({ length: calls }, () => client.raw("/x", new Uint8Array([1]))),
      );
      expect(answers.length).toBe(calls);
      expect(opened).toBeGreaterThan(1);
      expect(opened).toBeLessThanOrEqual(MAX_CONNECTIONS_PER_SOCKET);
      client.close();
    } finally {
      server.stop(true);
    }
  });

  test("a socket nobody listens on is UNAVAILABLE", async () => {
    const client = new UnixSocketClient(join(dir, "missing.sock"), "agg-x");
    const err = await unary(client, Health.method.check, create(HealthCheckRequestSchema, {})).catch(
      (e) => e,
    );
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toContain("Service agg-x at unix:");
  });
});

describe("a socket path taken over by a successor", () => {
  test("the predecessor's stop leaves the successor's socket in place", async () => {
    const dir = mkdtempSync(join(tmpdir(), "angzarr-sock-"));
    const socket = join(dir, "h.sock");
    const router = () => addHealth(new UnaryRouter(), new HealthRegistry());
    const first = serveUnix(router(), socket);
    // A restarted program binds the same path (replacing the file) before the old one stops.
    const second = serveUnix(router(), socket);
    await first.stop();
    const health = await unary(
      new UnixSocketClient(socket),
      Health.method.check,
      create(HealthCheckRequestSchema, {}),
    );
    expect(health.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    await second.stop();
    expect(existsSync(socket)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});
