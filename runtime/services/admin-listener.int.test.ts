// The admin listener: operator services only there (UNIMPLEMENTED on the public gateway, naming
// the admin listener), the bearer token whenever one is set, routes added at run time, and no
// binding beyond localhost without a token.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DeadLetterService,
  EventQuery,
  Health,
  InspectionService,
  ProjectionService,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@angzarr/proto";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { ConfigError, loadConfig } from "../config/load";
import { startAdminListener } from "./admin-listener";
import { startTestRuntime, type TestRuntime } from "./testing/harness";

async function codeOf(call: Promise<unknown>): Promise<{ code: Code; message: string } | "ok"> {
  try {
    await call;
    return "ok";
  } catch (err) {
    const e = ConnectError.from(err);
    return { code: e.code, message: e.rawMessage };
  }
}

const withToken = (url: string, token: string): Transport =>
  createConnectTransport({
    baseUrl: url,
    httpVersion: "1.1",
    useBinaryFormat: true,
    interceptors: [
      (next) => (req) => {
        req.header.set("authorization", `Bearer ${token}`);
        return next(req);
      },
    ],
  });

describe("admin listener", () => {
  let open: TestRuntime;
  let guarded: TestRuntime;

  beforeAll(async () => {
    open = await startTestRuntime([]);
    guarded = await startTestRuntime([], { adminToken: "s3cret-token" });
  });
  afterAll(async () => {
    await open.stop();
    await guarded.stop();
  });

  test("the public gateway answers UNIMPLEMENTED for every operator service, naming the admin listener", async () => {
    for (const transport of [open.connect(), open.grpc(), open.connectHttp1()]) {
      const calls = [
        createClient(DeadLetterService, transport).list({}),
        createClient(ProjectionService, transport).rebuild({ projector: "x" }),
        createClient(InspectionService, transport).getTopology({}),
      ];
      for (const call of calls) {
        const got = await codeOf(call);
        expect(got).not.toBe("ok");
        if (got === "ok") continue;
        expect(got.code).toBe(Code.Unimplemented);
        expect(got.message).toContain("admin listener");
      }
    }
  });

  test("the admin listener serves the operator and query services", async () => {
    const t = open.adminConnect();
    expect((await createClient(DeadLetterService, t).list({})).entries).toEqual([]);
    const health = await createClient(Health, t).check({ service: DeadLetterService.typeName });
    expect(health.status).toBe(ServingStatus.SERVING);
    expect((await createClient(Health, t).check({ service: EventQuery.typeName })).status).toBe(
      ServingStatus.SERVING,
    );
  });

  test("with a token, every call without it (or with another) is UNAUTHENTICATED", async () => {
    const url = guarded.admin.url;
    const none = createConnectTransport({ baseUrl: url, httpVersion: "1.1", useBinaryFormat: true });
    const grpc = createGrpcTransport({ baseUrl: url });
    for (const t of [none, grpc, withToken(url, "wrong"), withToken(url, "s3cret-tokeN")]) {
      const got = await codeOf(createClient(DeadLetterService, t).list({}));
      expect(got === "ok" ? "ok" : got.code).toBe(Code.Unauthenticated);
    }
    expect((await createClient(DeadLetterService, withToken(url, "s3cret-token")).list({})).entries).toEqual(
      [],
    );
  });

  test("route() adds plain HTTP routes at run time, behind the token", async () => {
    guarded.admin.route("GET", "/probe", async ({ query }) => ({
      contentType: "text/plain",
      body: `probe ${query.get("n") ?? ""}`,
    }));
    const bare = await fetch(`${guarded.admin.url}/probe?n=1`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get("www-authenticate")).toContain("Bearer");
    const ok = await fetch(`${guarded.admin.url}/probe?n=2`, {
      headers: { authorization: "Bearer s3cret-token" },
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("probe 2");
    open.admin.route("GET", "/probe", async () => ({ contentType: "text/plain", body: "open" }));
    expect(await (await fetch(`${open.admin.url}/probe`)).text()).toBe("open");
    // The gateway has no such route.
    expect((await fetch(`${open.url}/probe`)).status).toBe(404);
  });

  test("binding beyond localhost needs a token: refused by the listener and by the config", async () => {
    const err = await startAdminListener({
      pipeline: open.pipeline,
      storage: open.storage,
      bus: open.bus,
      handlers: { aggregate: () => undefined, aggregateDomains: () => [] },
      host: "0.0.0.0",
      port: 0,
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain("ANGZARR_ADMIN_TOKEN");
    const dir = mkdtempSync(join(tmpdir(), "angzarr-admin-"));
    const env = { ANGZARR_LOG: "error" };
    const wide = join(dir, "wide.yaml");
    const local = join(dir, "local.yaml");
    writeFileSync(wide, "admin:\n  host: 0.0.0.0\ncomponents: []\n");
    writeFileSync(local, "components: []\n");
    try {
      expect(() => loadConfig({ file: wide, env })).toThrow(ConfigError);
      expect(() => loadConfig({ file: wide, env })).toThrow(/admin\.host: .*ANGZARR_ADMIN_TOKEN/);
      const ok = loadConfig({ file: wide, env: { ...env, ANGZARR_ADMIN_TOKEN: "t" } });
      expect(ok.admin).toEqual({ port: 1311, host: "0.0.0.0", token: "t" });
      expect(loadConfig({ file: local, env }).admin).toEqual({ port: 1311, host: "127.0.0.1" });
      // The bind address from the environment (one admin pod of a chart that shares its config):
      // beyond loopback it needs the token just the same.
      expect(() => loadConfig({ file: local, env: { ...env, ANGZARR_ADMIN_HOST: "0.0.0.0" } })).toThrow(
        /admin\.host: .*ANGZARR_ADMIN_TOKEN/,
      );
      expect(
        loadConfig({ file: local, env: { ...env, ANGZARR_ADMIN_HOST: "0.0.0.0", ANGZARR_ADMIN_TOKEN: "t" } })
          .admin,
      ).toEqual({ port: 1311, host: "0.0.0.0", token: "t" });
      expect(loadConfig({ file: local, env, flags: { port: 0 } }).admin?.port).toBe(0);
      expect(loadConfig({ file: local, env, flags: { port: 0, adminPort: 4444 } }).admin?.port).toBe(4444);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
