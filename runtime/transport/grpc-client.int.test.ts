// The gRPC client for foreign handlers against a real gRPC server on a Unix socket and on TCP
// (Connect-ES's gRPC server on node:http2, a synthetic handler: no example domain).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Aggregate,
  BusinessResponseSchema,
  ContextualCommandSchema,
  GetDescriptorRequestSchema,
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "@angzarr/proto";
import { pathOf, unary } from "@angzarr/sdk";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { GrpcClient } from "./grpc-client";

const SLOW_MS = 400;

function server() {
  let seenCorrelation = "";
  const adapter = connectNodeAdapter({
    grpc: true,
    connect: false,
    grpcWeb: false,
    routes: (router) => {
      router.service(Health, {
        check: async (request, context) => {
          seenCorrelation = context.requestHeader.get("x-correlation-id") ?? "";
          if (request.service === "slow") await Bun.sleep(SLOW_MS);
          if (request.service === "refuse") {
            throw new ConnectError("Order does not exist", Code.FailedPrecondition);
          }
          return create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING });
        },
      });
      router.service(Aggregate, {
        handle: () => create(BusinessResponseSchema),
        getDescriptor: () => {
          throw new ConnectError("not here", Code.Unimplemented);
        },
      });
    },
  });
  return { h2: http2.createServer(adapter), correlation: () => seenCorrelation };
}

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ConnectError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

describe("GrpcClient", () => {
  let dir: string;
  let socket: string;
  let unixServer: ReturnType<typeof server>;
  let tcpServer: ReturnType<typeof server>;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "grpc-client-"));
    socket = join(dir, "handler.sock");
    unixServer = server();
    tcpServer = server();
    await new Promise<void>((resolve) => unixServer.h2.listen(socket, resolve));
    await new Promise<void>((resolve) => tcpServer.h2.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(tcpServer.h2.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => unixServer.h2.close(() => resolve()));
    await new Promise<void>((resolve) => tcpServer.h2.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const health = (client: GrpcClient, service = "", timeoutMs = 5_000, correlationId?: string) =>
    unary(client, Health.method.check, create(HealthCheckRequestSchema, { service }), {
      timeoutMs,
      ...(correlationId ? { correlationId } : {}),
    });

  test("many calls with a timeout leave no listener behind on the shared session", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    const client = new GrpcClient({ socketPath: socket }, "agg-leak");
    try {
      for (let i = 0; i < 200; i++) {
        expect((await health(client)).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      }
      await Bun.sleep(20); // warnings are emitted on a later tick
    } finally {
      process.off("warning", onWarning);
      client.close();
    }
    expect(warnings.filter((w) => w.includes("MaxListenersExceeded"))).toEqual([]);
  });

  test("over TCP and over a Unix socket: status, message and correlation header come through", async () => {
    for (const [client, srv] of [
      [new GrpcClient({ url }, "agg-tcp"), tcpServer],
      [new GrpcClient({ socketPath: socket }, "agg-unix"), unixServer],
    ] as const) {
      try {
        expect((await health(client, "", 5_000, "corr-7")).status).toBe(
          HealthCheckResponse_ServingStatus.SERVING,
        );
        expect(srv.correlation()).toBe("corr-7");
        const refused = await failure(health(client, "refuse"));
        expect(refused.code).toBe(Code.FailedPrecondition);
        expect(refused.rawMessage).toBe("Order does not exist");
        const unimplemented = await failure(
          unary(client, Aggregate.method.getDescriptor, create(GetDescriptorRequestSchema)),
        );
        expect(unimplemented.code).toBe(Code.Unimplemented);
      } finally {
        client.close();
      }
    }
  });

  test("raw bytes in, raw bytes out (the coordinator's encoded path)", async () => {
    const client = new GrpcClient({ socketPath: socket });
    try {
      const bytes = await client.raw(
        pathOf(Aggregate.method.handle),
        toBinary(ContextualCommandSchema, create(ContextualCommandSchema)),
      );
      expect(bytes).toBeInstanceOf(Uint8Array);
    } finally {
      client.close();
    }
  });

  test("a call slower than its timeout fails DEADLINE_EXCEEDED; the next call works", async () => {
    const client = new GrpcClient({ socketPath: socket });
    try {
      const late = await failure(health(client, "slow", 50));
      expect(late.code).toBe(Code.DeadlineExceeded);
      expect((await health(client)).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    } finally {
      client.close();
    }
  });

  test("nothing listening: UNAVAILABLE naming the handler and its address", async () => {
    for (const client of [
      new GrpcClient({ socketPath: join(dir, "nobody.sock") }, "agg-gone"),
      new GrpcClient({ url: "http://127.0.0.1:1" }, "agg-gone"),
    ]) {
      try {
        const err = await failure(health(client, "", 2_000));
        expect(err.code).toBe(Code.Unavailable);
        expect(err.rawMessage).toContain("agg-gone");
        expect(err.rawMessage).toContain(client.address);
      } finally {
        client.close();
      }
    }
  });
});
