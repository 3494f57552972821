// A domain's upcaster over any RpcClient: the wire `angzarr.Upcaster/Upcast` service, served by the
// domain's own program (Bun SDK or a handler in another language) or a program of its own.
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  Upcaster,
  UpcastRequestSchema,
  UpcastResponseSchema,
} from "@angzarr/proto";
import { decodeBody, pathOf, type RpcClient, unary } from "@angzarr/sdk";
import { decodeUpcastResponse, entriesOf } from "@angzarr/sdk/src/fast/page-codec.ts";
import { create, toBinary } from "@bufbuild/protobuf";
import type { PageUpcaster } from "../coordinator/upcasting";

const UPCAST = pathOf(Upcaster.method.upcast);

/** True when the response's pages are the request's, byte for byte (UpcastRequest.events = 2, UpcastResponse.events = 1). */
function samePages(request: Uint8Array, response: Uint8Array): boolean {
  const sent = entriesOf(request, 2, 1);
  const back = sent === undefined ? undefined : entriesOf(response, 1);
  if (sent === undefined || back === undefined || sent.starts.length !== back.starts.length) return false;
  for (let i = 0; i < sent.starts.length; i++) {
    const a = request.subarray(sent.starts[i], sent.ends[i]);
    const b = response.subarray(back.starts[i], back.ends[i]);
    if (a.length !== b.length || Buffer.compare(a, b) !== 0) return false;
  }
  return true;
}

export function upcasterClient(client: RpcClient, timeoutMs?: number): PageUpcaster {
  return async (domain, pages) => {
    const request = toBinary(UpcastRequestSchema, create(UpcastRequestSchema, { domain, events: pages }));
    const response = await client.raw(UPCAST, request, timeoutMs ? { timeoutMs } : {});
    // Most answers hold the pages as they were sent, byte for byte: the pages themselves, then.
    if (samePages(request, response)) return pages;
    // A catch-up batch holds hundreds of pages: read by the page codec (the pages protobuf-es
    // reads; protobuf-es reads what the codec declines).
    return decodeUpcastResponse(response) ?? decodeBody(UpcastResponseSchema, response).events;
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
