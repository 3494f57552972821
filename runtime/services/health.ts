// The standard gRPC health service (wire-contract §8) with Watch: Check on an unknown name is
// NOT_FOUND; Watch answers at once and on every change (SERVICE_UNKNOWN for unknown names, stream
// kept open); List reports every registered name.
import {
  Health,
  HealthCheckResponseSchema,
  HealthListResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { shown } from "../naming/names";
import { AsyncQueue } from "./async-queue";

type Listener = (service: string, status: ServingStatus) => void;

/** Serving status per service name; "" is the whole server. */
export class HealthBoard {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly listeners = new Set<Listener>();

  constructor(names: string[] = [""]) {
    for (const name of names) this.statuses.set(name, ServingStatus.SERVING);
  }

  set(service: string, status: ServingStatus): void {
    if (this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    for (const listener of this.listeners) listener(service, status);
  }

  /** Marks every registered name (shutdown). */
  setAll(status: ServingStatus): void {
    for (const name of [...this.statuses.keys()]) this.set(name, status);
  }

  get(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  entries(): [string, ServingStatus][] {
    return [...this.statuses.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export function healthService(board: HealthBoard): ServiceImpl<typeof Health> {
  const response = (status: ServingStatus) => create(HealthCheckResponseSchema, { status });
  return {
    check(request) {
      const status = board.get(request.service);
      if (status === undefined)
        throw new ConnectError(`unknown service ${shown(request.service)}`, Code.NotFound);
      return response(status);
    },
    list() {
      return create(HealthListResponseSchema, {
        statuses: Object.fromEntries(board.entries().map(([name, status]) => [name, response(status)])),
      });
    },
    async *watch(request, ctx) {
      const changes = new AsyncQueue<ServingStatus>();
      const stop = board.listen((service, status) => {
        if (service === request.service) changes.push(status);
      });
      try {
        let last = board.get(request.service) ?? ServingStatus.SERVICE_UNKNOWN;
        yield response(last);
        for (;;) {
          const status = await changes.next(Number.POSITIVE_INFINITY, ctx.signal);
          if (status === undefined) return;
          if (status === last) continue;
          last = status;
          yield response(status);
        }
      } finally {
        stop();
        changes.close();
      }
    },
  };
}

export { Health, ServingStatus };
