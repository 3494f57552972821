// The standard gRPC health service (unary Check and List) for our lean transport.
import {
  Health,
  HealthCheckResponseSchema,
  HealthListResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { UnaryRouter } from "./rpc/router";

/** Names registered as SERVING; "" is the whole server. */
export class HealthRegistry {
  private readonly statuses = new Map<string, ServingStatus>([["", ServingStatus.SERVING]]);

  set(service: string, status: ServingStatus): void {
    this.statuses.set(service, status);
  }

  get(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  entries(): [string, ServingStatus][] {
    return [...this.statuses.entries()];
  }
}

export function addHealth(router: UnaryRouter, registry: HealthRegistry): UnaryRouter {
  const [check, list] = [Health.method.check, Health.method.list];
  router.add(check, (request) => {
    const status = registry.get(request.service);
    if (status === undefined) throw new ConnectError(`unknown service ${request.service}`, Code.NotFound);
    return create(HealthCheckResponseSchema, { status });
  });
  router.add(list, () =>
    create(HealthListResponseSchema, {
      statuses: Object.fromEntries(
        registry.entries().map(([name, status]) => [name, create(HealthCheckResponseSchema, { status })]),
      ),
    }),
  );
  return router;
}

export { ServingStatus };
