// A domain's upcaster over any RpcClient: the wire `angzarr.Upcaster/Upcast` service, served by the
// domain's own program (Bun SDK or a handler in another language) or a program of its own.
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  Upcaster,
  UpcastRequestSchema,
} from "@angzarr/proto";
import { type RpcClient, unary } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import type { PageUpcaster } from "../coordinator/upcasting";

export function upcasterClient(client: RpcClient, timeoutMs?: number): PageUpcaster {
  return async (domain, pages) => {
    const response = await unary(
      client,
      Upcaster.method.upcast,
      create(UpcastRequestSchema, { domain, events: pages }),
      timeoutMs ? { timeoutMs } : {},
    );
    return response.events;
  };
}

/** True when the program reports `angzarr.Upcaster` SERVING in its health service. */
export async function servesUpcaster(client: RpcClient): Promise<boolean> {
  try {
    const res = await unary(
      client,
      Health.method.check,
      create(HealthCheckRequestSchema, { service: Upcaster.typeName }),
      { timeoutMs: 2_000 },
    );
    return res.status === HealthCheckResponse_ServingStatus.SERVING;
  } catch {
    return false;
  }
}
