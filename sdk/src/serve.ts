// Entry point of a domain program: build the router for a component and serve it on the socket
// named by `--socket PATH` or ANGZARR_SOCKET. Stops cleanly on SIGTERM / SIGINT.
// `<program> health [--socket PATH]` instead asks the program already serving on that socket
// whether it is SERVING (exit 0/1, one line): the exec probe of a Kubernetes pod.
import {
  Aggregate as AggregateService,
  BusinessResponseSchema,
  HealthCheckResponse_ServingStatus,
} from "@angzarr/proto";
import { type DescMessage, toBinary } from "@bufbuild/protobuf";
import type { Aggregate } from "./aggregate";
import { addHealth, HealthRegistry } from "./health";
import { healthCommand } from "./health-probe";
import { serveUnix } from "./rpc/client";
import { UnaryRouter } from "./rpc/router";
import { startTracing, stopTracing } from "./tracing";

/** Anything that can contribute methods to a program's router. */
export interface Component {
  /** Adds its service methods; returns the service names to report healthy. */
  register(router: UnaryRouter): string[];
}

/** The router of one aggregate program (Aggregate service + health). */
export function aggregateComponent<SD extends DescMessage>(aggregate: Aggregate<SD>): Component {
  return {
    register(router) {
      router.add(AggregateService.method.getDescriptor, () => aggregate.descriptor());
      // Raw bytes in: the aggregate walks the prior pages itself (Aggregate.handleBinary).
      // A long history comes chunked: folded as it arrives (Aggregate.handleStream).
      router.addRaw(
        AggregateService.method.handle,
        (body) => toBinary(BusinessResponseSchema, aggregate.handleBinary(body)),
        async (chunks) => toBinary(BusinessResponseSchema, await aggregate.handleStream(chunks)),
      );
      return [AggregateService.typeName];
    },
  };
}

/** Several components in one program (an aggregate and its domain's upcaster). */
export function combine(...components: Component[]): Component {
  return {
    register(router) {
      return components.flatMap((c) => c.register(router));
    },
  };
}

/** Builds the full router (component + health) without serving it: for in-memory tests. */
export function buildRouter(component: Component): UnaryRouter {
  const router = new UnaryRouter();
  const registry = new HealthRegistry();
  for (const name of component.register(router))
    registry.set(name, HealthCheckResponse_ServingStatus.SERVING);
  addHealth(router, registry);
  return router;
}

function socketFromArgs(): string | undefined {
  const i = process.argv.indexOf("--socket");
  if (i >= 0) return process.argv[i + 1];
  return process.env.ANGZARR_SOCKET;
}

/** What `<program> --help` prints. */
export function programUsage(name = process.argv[1]?.replace(/^.*\//, "") ?? "program"): string {
  return `usage: ${name} [--socket PATH]
       ${name} health [--socket PATH] [--timeout MS]

  An angzarr domain program: serves its component over Connect on a Unix socket until SIGTERM.
  The runtime starts it (angzarr standalone, or a pod); run by hand only to debug it.
  --socket PATH   the socket to listen on (default: env ANGZARR_SOCKET)
  health          asks the program already serving on that socket whether it is SERVING
                  (one line; exit 0 when SERVING, 1 when not, 2 on bad usage)
environment: ANGZARR_SOCKET, ANGZARR_MAX_MESSAGE_BYTES; OTEL_* (traces, see the README)
`;
}

/**
 * Serves a component until SIGTERM/SIGINT. Returns once listening. Pass a factory when building
 * the component has side effects (a projector opening its database): the `health` subcommand
 * never builds it.
 */
export function serve(
  component: Component | (() => Component),
  socketPath = socketFromArgs(),
): { stop(): Promise<void> } {
  if (process.argv[2] !== "health" && (process.argv.includes("--help") || process.argv.includes("-h"))) {
    process.stdout.write(programUsage());
    process.exit(0);
  }
  if (process.argv[2] === "health") {
    void healthCommand(process.argv.slice(3)).then((code) => process.exit(code));
    return { stop: async () => {} };
  }
  if (!socketPath) {
    console.error(
      JSON.stringify({
        event: "handler.config_error",
        message: "no socket: pass --socket PATH or set ANGZARR_SOCKET",
      }),
    );
    process.exit(2);
  }
  const maxBytes = Number(process.env.ANGZARR_MAX_MESSAGE_BYTES ?? 64 * 1024 * 1024);
  const built = typeof component === "function" ? component() : component;
  // Traces, when the environment asks for them: spans before the SDK is loaded are not recorded.
  void startTracing(process.env.ANGZARR_PROGRAM || socketPath.replace(/^.*\//, "").replace(/\.sock$/, ""));
  const server = serveUnix(buildRouter(built), socketPath, maxBytes);
  console.log(JSON.stringify({ event: "handler.listening", socket: socketPath, pid: process.pid }));
  let stopping = false;
  const shutdown = (keepSocket = false) => {
    if (stopping) return;
    stopping = true;
    void server
      .stop({ keepSocket })
      .then(() => stopTracing())
      .finally(() => process.exit(0));
  };
  process.once("SIGTERM", () => shutdown());
  process.once("SIGINT", () => shutdown());
  // Orphaned (the coordinator was killed): the restarted coordinator's new program may already
  // listen on this path, so the file is left alone (whoever binds next replaces a stale one).
  watchParent(() => {
    console.log(JSON.stringify({ event: "handler.parent_gone", pid: process.pid }));
    shutdown(true);
  });
  return server;
}

/**
 * No orphans: when started by the runtime (ANGZARR_PARENT_PID set), checks every 500 ms that the
 * parent still lives and calls `onGone` once it does not.
 */
export function watchParent(onGone: () => void, parentPid = process.env.ANGZARR_PARENT_PID): void {
  const pid = Number(parentPid);
  if (!parentPid || !Number.isInteger(pid) || pid <= 1) return;
  // A direct child is re-parented when its parent dies (this also covers a dead, unreaped parent).
  const direct = process.ppid === pid;
  const alive = () => {
    if (direct) return process.ppid === pid;
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as { code?: string }).code === "EPERM"; // alive, owned by someone else
    }
  };
  const timer = setInterval(() => {
    if (alive()) return;
    clearInterval(timer);
    onGone();
  }, 500);
  timer.unref();
}
