// One supervised handler program: spawned with its socket, health-checked before traffic,
// restarted with exponential backoff when it exits, stopped with SIGTERM then SIGKILL.
// While it is not healthy, calls through `handler` fail UNAVAILABLE at once.
import { rmSync } from "node:fs";
import { Health, HealthCheckRequestSchema, HealthCheckResponse_ServingStatus } from "@angzarr/proto";
import { type CallOptions, type RpcClient, UnixSocketClient, unary } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Subprocess } from "bun";
import type { ComponentConfig, HandlerSettings } from "../config/load";
import type { AggregateHandler } from "../coordinator/ports";
import { tracedRpc } from "../observability/instrument";
import type { Logger } from "../observability/log";
import { aggregateClient } from "../transport/aggregate-client";
import { GrpcClient } from "../transport/grpc-client";
import { limitedRpc, MESSAGE_LIMIT_ENV } from "../transport/message-limit";
import { forwardLines } from "./output";

export type ProgramState =
  /** Not started yet. */
  | "idle"
  /** Spawned, waiting for SERVING. */
  | "starting"
  /** Healthy: calls are routed. */
  | "ready"
  /** Exited; a restart is scheduled. */
  | "down"
  | "stopping"
  | "stopped"
  /** Not ours: an external handler, always routed. */
  | "external";

export interface ProgramOptions {
  component: ComponentConfig;
  /** Socket the program listens on. */
  socket: string;
  settings: HandlerSettings;
  /** The message limit: requests over it are refused here, and the program is told it. */
  maxMessageBytes: number;
  log: Logger;
  /** Forward the child's stdout/stderr into the log (default) or drop it. */
  output: "forward" | "ignore";
  /** Extra environment for every child. */
  env: Record<string, string>;
}

type Proc = Subprocess<"ignore", "pipe" | "ignore", "pipe" | "ignore">;

const HEALTH_CALL_MS = 1_000;

function unavailable(message: string): ConnectError {
  return new ConnectError(message, Code.Unavailable);
}

export class SupervisedProgram {
  readonly component: ComponentConfig;
  readonly socket: string;
  readonly client: RpcClient;
  /** The transport itself, without limit or traces (health probes). */
  private readonly base: RpcClient;
  /** The aggregate handler as the coordinator sees it (gated on health). */
  readonly handler: AggregateHandler;
  /** Any call to the program, gated on health (sagas, projectors, process managers). */
  readonly rpc: RpcClient;
  private stateValue: ProgramState = "idle";
  private proc: Proc | undefined;
  private failures = 0;
  private restartCount = 0;
  private readyAt = 0;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private waiters: ((ready: boolean) => void)[] = [];
  private readonly log: Logger;

  constructor(private readonly options: ProgramOptions) {
    this.component = options.component;
    this.socket = options.socket;
    this.log = options.log.child({ program: options.component.program });
    this.base =
      options.component.transport === "grpc"
        ? new GrpcClient(
            options.component.launch.type === "external" && options.component.launch.url
              ? { url: options.component.launch.url }
              : { socketPath: options.socket },
            options.component.program,
          )
        : new UnixSocketClient(options.socket, options.component.program);
    this.client = tracedRpc(limitedRpc(this.base, options.maxMessageBytes, options.component.program));
    const inner = aggregateClient(this.client);
    this.handler = {
      handle: (request, callOptions) => this.guarded(() => inner.handle(request, callOptions)),
      handleEncoded: (request, callOptions) => this.guarded(() => inner.handleEncoded(request, callOptions)),
      descriptor: (callOptions) => this.guarded(() => inner.descriptor(callOptions)),
    };
    this.rpc = {
      address: this.client.address,
      raw: (path, body, callOptions) => this.guarded(() => this.client.raw(path, body, callOptions)),
    };
    if (options.component.launch.type === "external") this.stateValue = "external";
  }

  get state(): ProgramState {
    return this.stateValue;
  }

  /** Pid of the running child, if any. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** How many times the program was restarted after exiting. */
  get restarts(): number {
    return this.restartCount;
  }

  /** Spawns the program (external handlers: nothing to do). */
  start(): void {
    if (this.stateValue !== "idle") return;
    this.spawn();
  }

  /** Resolves true once healthy (at once for external handlers), false on timeout or stop. */
  waitReady(timeoutMs: number): Promise<boolean> {
    if (this.stateValue === "ready" || this.stateValue === "external") return Promise.resolve(true);
    if (this.stateValue === "stopping" || this.stateValue === "stopped") return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (ready: boolean) => {
        clearTimeout(timer);
        resolve(ready);
      };
      this.waiters.push(done);
    });
  }

  /** Health of an external handler (or any): true when the server answers SERVING. */
  async checkHealth(options: CallOptions = { timeoutMs: HEALTH_CALL_MS }): Promise<boolean> {
    try {
      const res = await unary(this.client, Health.method.check, create(HealthCheckRequestSchema), options);
      return res.status === HealthCheckResponse_ServingStatus.SERVING;
    } catch {
      return false;
    }
  }

  /**
   * Whether the program can be reached now: ready (or external) and answering a health check on a
   * fresh connection, so a socket file gone while the process lives counts too. A program that is
   * merely slow to answer (busy) is reachable; only a connection that fails is not.
   */
  async reachable(timeoutMs = HEALTH_CALL_MS): Promise<boolean> {
    if (this.stateValue !== "ready" && this.stateValue !== "external") return false;
    const fresh =
      this.component.transport === "grpc"
        ? undefined
        : new UnixSocketClient(this.socket, this.component.program);
    try {
      const res = await unary(fresh ?? this.base, Health.method.check, create(HealthCheckRequestSchema), {
        timeoutMs,
      });
      return res.status === HealthCheckResponse_ServingStatus.SERVING;
    } catch (err) {
      return !(err instanceof ConnectError && err.code === Code.Unavailable);
    } finally {
      fresh?.close();
    }
  }

  /** SIGTERM, then SIGKILL after the grace period; removes the socket file. */
  async stop(): Promise<void> {
    if (this.stateValue === "external" || this.stateValue === "stopped") return;
    this.stateValue = "stopping";
    this.notify(false);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const proc = this.proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      const grace = this.options.settings.stopGraceMs;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const exited = await Promise.race([
        proc.exited.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), grace);
        }),
      ]);
      clearTimeout(timer);
      if (!exited) {
        this.log.warn("handler.kill", { pid: proc.pid, graceMs: grace });
        proc.kill("SIGKILL");
        await proc.exited;
      }
    }
    this.removeSocket();
    this.stateValue = "stopped";
    this.log.info("handler.stopped", {});
  }

  private async guarded<T>(call: () => Promise<T>): Promise<T> {
    const state = this.stateValue;
    if (state !== "ready" && state !== "external") {
      throw unavailable(`Service ${this.component.program} unavailable: ${state}`);
    }
    try {
      return await call();
    } catch (err) {
      // A call cut off by the program dying is UNAVAILABLE whatever the transport reported.
      if (err instanceof ConnectError && (err.code === Code.Unknown || err.code === Code.Internal)) {
        if (this.stateValue !== "ready" && this.stateValue !== "external") {
          throw unavailable(`Service ${this.component.program} unavailable: ${err.rawMessage}`);
        }
      }
      throw err;
    }
  }

  private spawn(): void {
    const launch = this.component.launch;
    if (launch.type !== "spawn" || this.stateValue === "stopping" || this.stateValue === "stopped") return;
    this.removeSocket();
    const argv = [...launch.argv, "--socket", this.socket];
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...this.options.env,
      ...this.component.env,
      ANGZARR_SOCKET: this.socket,
      ANGZARR_PROGRAM: this.component.program,
      OTEL_SERVICE_NAME: this.component.env.OTEL_SERVICE_NAME ?? this.component.program,
      ANGZARR_PARENT_PID: String(process.pid),
      [MESSAGE_LIMIT_ENV]: String(this.options.maxMessageBytes),
    };
    const io = this.options.output === "forward" ? "pipe" : "ignore";
    let proc: Proc;
    try {
      proc = Bun.spawn(argv, { cwd: launch.cwd, env, stdin: "ignore", stdout: io, stderr: io }) as Proc;
    } catch (err) {
      this.stateValue = "down";
      this.log.error("handler.spawn_failed", { argv, cwd: launch.cwd, error: (err as Error).message });
      this.scheduleRestart();
      return;
    }
    this.proc = proc;
    this.stateValue = "starting";
    const startedAt = performance.now();
    this.log.info("handler.spawned", { pid: proc.pid, argv, restarts: this.restartCount });
    const fields = { program: this.component.program, pid: proc.pid };
    if (proc.stdout instanceof ReadableStream) void forwardLines(proc.stdout, fields, this.log);
    if (proc.stderr instanceof ReadableStream) void forwardLines(proc.stderr, fields, this.log);
    void proc.exited.then(() => this.onExit(proc, startedAt));
    void this.pollHealth(proc, startedAt);
  }

  private async pollHealth(proc: Proc, startedAt: number): Promise<void> {
    const deadline = startedAt + this.options.settings.healthTimeoutMs;
    let interval = 5;
    while (this.proc === proc && proc.exitCode === null && proc.signalCode === null) {
      const left = deadline - performance.now();
      if (left <= 0) {
        this.log.error("handler.health_timeout", {
          pid: proc.pid,
          timeoutMs: this.options.settings.healthTimeoutMs,
        });
        proc.kill("SIGKILL");
        return;
      }
      if (await this.checkHealth({ timeoutMs: Math.min(HEALTH_CALL_MS, Math.ceil(left)) })) {
        if (this.proc !== proc || this.stateValue !== "starting") return;
        this.stateValue = "ready";
        this.readyAt = performance.now();
        this.log.info("handler.ready", {
          pid: proc.pid,
          socket: this.socket,
          startupMs: Math.round(this.readyAt - startedAt),
        });
        this.notify(true);
        return;
      }
      await Bun.sleep(interval);
      interval = Math.min(interval * 2, 100);
    }
  }

  private onExit(proc: Proc, startedAt: number): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    if (this.stateValue === "stopping" || this.stateValue === "stopped") return;
    const now = performance.now();
    const wasReady = this.stateValue === "ready";
    this.stateValue = "down";
    this.removeSocket();
    this.log.warn("handler.exited", {
      pid: proc.pid,
      exitCode: proc.exitCode,
      signal: proc.signalCode,
      uptimeMs: Math.round(now - startedAt),
    });
    // A program that served for a while before dying starts its backoff afresh.
    if (wasReady && now - this.readyAt >= this.options.settings.restart.maxMs) this.failures = 0;
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const { initialMs, maxMs } = this.options.settings.restart;
    const delayMs = Math.min(initialMs * 2 ** this.failures, maxMs);
    this.failures++;
    this.log.info("handler.restart_scheduled", { delayMs, failures: this.failures });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.restartCount++;
      this.spawn();
    }, delayMs);
  }

  private notify(ready: boolean): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(ready);
  }

  private removeSocket(): void {
    try {
      rmSync(this.socket, { force: true });
    } catch (err) {
      this.log.warn("handler.socket_cleanup_failed", { socket: this.socket, error: (err as Error).message });
    }
  }
}
