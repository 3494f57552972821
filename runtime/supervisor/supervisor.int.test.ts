// The supervisor against real child processes on real Unix sockets (synthetic fixture programs).
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  AnyPayload,
  type BusinessResponse,
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
} from "@angzarr/proto";
import { UnixSocketClient, unary } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ComponentConfig } from "../config/load";
import type { Logger } from "../observability/log";
import {
  childPids,
  contextual,
  echoCommand,
  fixture,
  fixtureAggregate,
  isAlive,
  multiCommand,
  newRoot,
  removeDir,
  tempDir,
  testHandlerSettings,
  waitFor,
} from "../testing/processes";
import { Supervisor, type SupervisorOptions, SupervisorStartError } from "./supervisor";

function eventValues(response: BusinessResponse): string[] {
  if (response.result.case !== "events") throw new Error(`expected events, got ${response.result.case}`);
  return response.result.value.pages.map((p) => AnyPayload.unpack(p.event, StringValueSchema).value);
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

describe("supervisor", () => {
  let dir: string;
  let supervisor: Supervisor | undefined;

  const make = (components: ComponentConfig[], overrides: Partial<SupervisorOptions> = {}) => {
    supervisor = new Supervisor({
      components,
      socketsDir: join(dir, "sockets"),
      handlers: testHandlerSettings(),
      output: "ignore",
      ...overrides,
    });
    return supervisor;
  };

  beforeEach(() => {
    dir = tempDir();
  });

  afterEach(async () => {
    await supervisor?.stop();
    supervisor = undefined;
    removeDir(dir);
  });

  test("routes a domain only once its program reports SERVING", async () => {
    const sup = make([fixtureAggregate("echo", "echo-agg", ["--delay-ms", "400"])]);
    const handler = sup.aggregate("echo");
    if (!handler) throw new Error("no handler for echo");
    expect(sup.aggregateDomains()).toEqual(["echo"]);
    expect(sup.aggregate("nope")).toBeUndefined();

    const starting = sup.start();
    const program = sup.program("agg-echo");
    await waitFor("spawn", () => program?.pid !== undefined);
    expect(program?.state).toBe("starting");
    const early = await failure(handler.handle(contextual(echoCommand("echo", newRoot(), "early"))));
    expect(early.code).toBe(Code.Unavailable);
    expect(early.rawMessage).toContain("agg-echo");

    await starting;
    expect(program?.state).toBe("ready");
    expect(eventValues(await handler.handle(contextual(echoCommand("echo", newRoot(), "hello"))))).toEqual([
      "hello",
    ]);
    expect(statSync(join(dir, "sockets")).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "sockets", "agg-echo.sock")).isSocket()).toBe(true);
  });

  test("several programs, each on its own socket; a multi-event answer comes back whole", async () => {
    const sup = make([fixtureAggregate("echo", "echo-agg"), fixtureAggregate("multi", "multi-agg")]);
    await sup.start();
    expect(sup.aggregateDomains()).toEqual(["echo", "multi"]);
    const multi = sup.aggregate("multi");
    expect(
      eventValues(await (multi?.handle(contextual(multiCommand("multi", newRoot(), 3))) ?? never())),
    ).toEqual(["event-0", "event-1", "event-2"]);
    const descriptor = await sup.aggregate("echo")?.descriptor();
    expect(descriptor?.name).toBe("echo");
  });

  test("a program killed in the middle of a call: UNAVAILABLE, restarted, next call succeeds", async () => {
    const sup = make([fixtureAggregate("echo", "echo-agg")]);
    await sup.start();
    const program = sup.program("agg-echo");
    const handler = sup.aggregate("echo");
    const firstPid = program?.pid as number;

    const inFlight = failure(
      handler?.handle(contextual(echoCommand("echo", newRoot(), "sleep:5000"))) ?? never(),
    );
    await Bun.sleep(150);
    process.kill(firstPid, "SIGKILL");
    const err = await inFlight;
    expect(err.code).toBe(Code.Unavailable);

    await waitFor("restart", () => program?.state === "ready" && program.pid !== firstPid);
    expect(program?.restarts).toBe(1);
    expect(isAlive(firstPid)).toBe(false);
    expect(
      eventValues(await (handler?.handle(contextual(echoCommand("echo", newRoot(), "again"))) ?? never())),
    ).toEqual(["again"]);
  });

  test("a program that exits during a call: UNAVAILABLE, and calls while down fail fast", async () => {
    const sup = make([fixtureAggregate("echo", "echo-agg")], {
      handlers: testHandlerSettings({ restart: { initialMs: 400, maxMs: 1_000 } }),
    });
    await sup.start();
    const program = sup.program("agg-echo");
    const handler = sup.aggregate("echo");
    const crashed = await failure(
      handler?.handle(contextual(echoCommand("echo", newRoot(), "crash"))) ?? never(),
    );
    expect(crashed.code).toBe(Code.Unavailable);

    await waitFor("exit noticed", () => program?.state === "down");
    expect(existsSync(program?.socket ?? "")).toBe(false);
    // Refused by the program's state, without trying its socket (no connect, no handler timeout).
    const down = await failure(handler?.handle(contextual(echoCommand("echo", newRoot(), "x"))) ?? never());
    expect(down.code).toBe(Code.Unavailable);
    expect(down.rawMessage).toMatch(/^Service agg-echo unavailable: (down|starting)$/);

    await waitFor("restart", () => program?.state === "ready");
    expect(
      eventValues(await (handler?.handle(contextual(echoCommand("echo", newRoot(), "ok"))) ?? never())),
    ).toEqual(["ok"]);
  });

  test("start fails when a program never reports healthy; it is killed and retried meanwhile", async () => {
    const component: ComponentConfig = {
      ...fixtureAggregate("stuck", "echo-agg"),
      launch: { type: "spawn", argv: [process.execPath, fixture("never-healthy")], cwd: dir },
    };
    const sup = make([component], {
      handlers: testHandlerSettings({ healthTimeoutMs: 300, restart: { initialMs: 20, maxMs: 100 } }),
    });
    const err = await sup.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SupervisorStartError);
    expect((err as SupervisorStartError).programs).toEqual(["agg-stuck"]);
    const program = sup.program("agg-stuck");
    await waitFor("a retry", () => (program?.restarts ?? 0) >= 1);
  });

  test("stop: SIGTERM, then SIGKILL after the grace period; sockets removed", async () => {
    const ignoring = join(dir, "stubborn.ignores-sigterm");
    const stubborn: ComponentConfig = {
      ...fixtureAggregate("stubborn", "echo-agg"),
      launch: {
        type: "spawn",
        argv: [process.execPath, fixture("never-healthy"), "--ignore-sigterm", "--ready-file", ignoring],
        cwd: dir,
      },
    };
    const sup = make([fixtureAggregate("echo", "echo-agg"), stubborn], {
      handlers: testHandlerSettings({ stopGraceMs: 300 }),
    });
    const starting = sup.start().catch(() => undefined);
    await waitFor("echo ready", () => sup.program("agg-echo")?.state === "ready");
    // Its SIGTERM handler installed (a fixed sleep was too short for a busy machine's `bun` start:
    // SIGTERM then ended it at once and stop() returned before the grace period).
    await waitFor("stubborn to ignore SIGTERM", () => existsSync(ignoring));
    const pids = sup.programs().map((p) => p.pid as number);

    const started = performance.now();
    await sup.stop();
    await starting;
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(readdirSync(join(dir, "sockets"))).toEqual([]);
    expect(sup.programs().map((p) => p.state)).toEqual(["stopped", "stopped"]);
  });

  test("a compiled program (bun build --compile) is supervised like a script", async () => {
    const exe = join(dir, "agg-echo");
    const build = Bun.spawn([process.execPath, "build", "--compile", fixture("echo-agg"), "--outfile", exe], {
      stdout: "ignore",
      stderr: "pipe",
    });
    const [code, stderr] = await Promise.all([build.exited, new Response(build.stderr).text()]);
    if (code !== 0) throw new Error(`bun build failed: ${stderr}`);

    const sup = make([
      { ...fixtureAggregate("echo", "echo-agg"), launch: { type: "spawn", argv: [exe], cwd: dir } },
    ]);
    await sup.start();
    expect(sup.program("agg-echo")?.state).toBe("ready");
    expect(await sup.program("agg-echo")?.checkHealth()).toBe(true);
    expect(
      eventValues(
        await (sup.aggregate("echo")?.handle(contextual(echoCommand("echo", newRoot(), "bin"))) ?? never()),
      ),
    ).toEqual(["bin"]);
  });

  test("a foreign handler speaking gRPC over HTTP/2 (transport: grpc) is health-checked and routed", async () => {
    const sup = make([{ ...fixtureAggregate("foreign", "grpc-echo-agg"), transport: "grpc" }]);
    await sup.start();
    const handler = sup.aggregate("foreign") ?? never();
    expect(
      eventValues(await handler.handle(contextual(echoCommand("foreign", newRoot(), "over grpc")))),
    ).toEqual(["over grpc"]);
    expect((await handler.descriptor()).name).toBe("foreign");
  });

  test("an external handler (socket given) is connected to, not spawned", async () => {
    const socket = join(dir, "external.sock");
    const external = Bun.spawn(
      [process.execPath, fixture("echo-agg"), "--domain", "ext", "--socket", socket],
      {
        stdout: "ignore",
        stderr: "ignore",
        env: { ...process.env, ANGZARR_PARENT_PID: String(process.pid) },
      },
    );
    try {
      const sup = make([{ ...fixtureAggregate("ext", "echo-agg"), launch: { type: "external", socket } }]);
      await waitFor("external handler", () => existsSync(socket));
      await sup.start();
      expect(sup.program("agg-ext")?.state).toBe("external");
      expect(sup.program("agg-ext")?.pid).toBeUndefined();
      const response = await sup.aggregate("ext")?.handle(contextual(echoCommand("ext", newRoot(), "hi")));
      expect(eventValues(response ?? never())).toEqual(["hi"]);
      await sup.stop();
      expect(isAlive(external.pid)).toBe(true);
    } finally {
      external.kill();
      await external.exited;
    }
  });

  test("an unhealthy external handler is named by its url (url given) or its socket (socket given)", async () => {
    const warned: Record<string, unknown>[] = [];
    const recorder = (base: Record<string, unknown>): Logger => ({
      debug: () => {},
      info: () => {},
      warn: (event, fields = {}) => warned.push({ event, ...base, ...fields }),
      error: () => {},
      child: (fields) => recorder({ ...base, ...fields }),
    });
    const url = "http://127.0.0.1:1";
    const socket = join(dir, "nobody.sock");
    const sup = make(
      [
        { ...fixtureAggregate("byurl", "echo-agg"), transport: "grpc", launch: { type: "external", url } },
        { ...fixtureAggregate("bysocket", "echo-agg"), launch: { type: "external", socket } },
      ],
      { log: recorder({}) },
    );
    await sup.start();
    const unhealthy = warned.filter((w) => w.event === "supervisor.external_unhealthy");
    expect(unhealthy).toEqual([
      expect.objectContaining({ program: "agg-byurl", url }),
      expect.objectContaining({ program: "agg-bysocket", socket }),
    ]);
    expect(unhealthy[0]).not.toHaveProperty("socket");
  });

  test("a program orphaned by a killed coordinator leaves its successor's socket alone", async () => {
    const sockets = join(dir, "sockets");
    mkdirSync(sockets, { recursive: true, mode: 0o700 });
    const socket = join(sockets, "agg-echo.sock");
    // The coordinator to kill: a shell that starts the program as the supervisor does, then waits.
    const coordinator = Bun.spawn(
      [
        "sh",
        "-c",
        'ANGZARR_PARENT_PID=$$ "$0" "$1" --domain echo --socket "$2" & wait',
        process.execPath,
        fixture("echo-agg"),
        socket,
      ],
      { stdout: "ignore", stderr: "ignore" },
    );
    await waitFor("the first program", () => existsSync(socket));
    const [orphan] = childPids(coordinator.pid);
    if (orphan === undefined) throw new Error("the first program has no pid");
    // Held still, so it notices its parent's death only once the restarted one listens.
    process.kill(orphan, "SIGSTOP");
    coordinator.kill("SIGKILL");
    await coordinator.exited;
    const sup = make([fixtureAggregate("echo", "echo-agg")]);
    await sup.start();
    process.kill(orphan, "SIGCONT");
    await waitFor("the orphan to exit", () => !isAlive(orphan));
    // A new connection (the supervisor's pooled one would outlive a removed file) still finds it.
    const fresh = new UnixSocketClient(socket);
    const health = await unary(fresh, Health.method.check, create(HealthCheckRequestSchema));
    expect(health.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    fresh.close();
  });

  test("non-aggregate programs are supervised too, but never routed as aggregates", async () => {
    const sup = make([
      fixtureAggregate("echo", "echo-agg"),
      { ...fixtureAggregate("x", "echo-agg"), kind: "saga", name: "saga-x-y", program: "saga-x-y" },
    ]);
    await sup.start();
    expect(sup.programs().map((p) => p.component.program)).toEqual(["agg-echo", "saga-x-y"]);
    expect(sup.aggregateDomains()).toEqual(["echo"]);
    expect(sup.aggregate("x")).toBeUndefined();
  });
});

function never(): never {
  throw new Error("handler missing");
}
