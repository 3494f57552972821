// The supervisor against real child processes on real Unix sockets (synthetic fixture programs).
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { AnyPayload, type BusinessResponse } from "@angzarr/proto";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ComponentConfig } from "../config/load";
import {
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
    const started = performance.now();
    const down = await failure(handler?.handle(contextual(echoCommand("echo", newRoot(), "x"))) ?? never());
    expect(down.code).toBe(Code.Unavailable);
    expect(performance.now() - started).toBeLessThan(100);

    await waitFor("restart", () => program?.state === "ready", 5_000);
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
    await waitFor("a retry", () => (program?.restarts ?? 0) >= 1, 3_000);
  });

  test("stop: SIGTERM, then SIGKILL after the grace period; sockets removed", async () => {
    const stubborn: ComponentConfig = {
      ...fixtureAggregate("stubborn", "echo-agg"),
      launch: {
        type: "spawn",
        argv: [process.execPath, fixture("never-healthy"), "--ignore-sigterm"],
        cwd: dir,
      },
    };
    const sup = make([fixtureAggregate("echo", "echo-agg"), stubborn], {
      handlers: testHandlerSettings({ stopGraceMs: 300 }),
    });
    const starting = sup.start().catch(() => undefined);
    await waitFor("echo ready", () => sup.program("agg-echo")?.state === "ready");
    await waitFor("stubborn spawned", () => sup.program("agg-stubborn")?.pid !== undefined);
    await Bun.sleep(100); // let it install its SIGTERM handler
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
