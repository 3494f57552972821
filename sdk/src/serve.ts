// Entry point of a domain program: build the router for a component and serve it on the socket
// named by `--socket PATH` or ANGZARR_SOCKET. Stops cleanly on SIGTERM / SIGINT.
import { Aggregate as AggregateService, HealthCheckResponse_ServingStatus } from "@angzarr/proto";
import type { DescMessage } from "@bufbuild/protobuf";
import type { Aggregate } from "./aggregate";
import { addHealth, HealthRegistry } from "./health";
import { serveUnix } from "./rpc/client";
import { UnaryRouter } from "./rpc/router";

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
      router.add(AggregateService.method.handle, (request) => aggregate.handle(request));
      return [AggregateService.typeName];
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

/** Serves a component until SIGTERM/SIGINT. Returns once listening. */
export function serve(component: Component, socketPath = socketFromArgs()): { stop(): Promise<void> } {
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
  const server = serveUnix(buildRouter(component), socketPath, maxBytes);
  console.log(JSON.stringify({ event: "handler.listening", socket: socketPath, pid: process.pid }));
  const shutdown = () => {
    void server.stop().finally(() => process.exit(0));
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
  return server;
}
