// AggregateHandler over any RpcClient (a Unix socket to a Bun program, or a router in memory).
import { Aggregate, BusinessResponseSchema, GetDescriptorRequestSchema } from "@angzarr/proto";
import { decodeBody, pathOf, type RpcClient, unary } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import type { AggregateHandler } from "../coordinator/ports";

const HANDLE_PATH = pathOf(Aggregate.method.handle);

/** An AggregateHandler over RPC, with the encoded-request fast path. */
export type AggregateClient = AggregateHandler & Required<Pick<AggregateHandler, "handleEncoded">>;

export function aggregateClient(client: RpcClient): AggregateClient {
  return {
    handle: (request, options) => unary(client, Aggregate.method.handle, request, options),
    handleEncoded: async (request, options) =>
      decodeBody(BusinessResponseSchema, await client.raw(HANDLE_PATH, request, options)),
    descriptor: (options) =>
      unary(client, Aggregate.method.getDescriptor, create(GetDescriptorRequestSchema), options),
  };
}
