// AggregateHandler over any RpcClient (a Unix socket to a Bun program, or a router in memory).
import { Aggregate, GetDescriptorRequestSchema } from "@angzarr/proto";
import { type RpcClient, unary } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import type { AggregateHandler } from "../coordinator/ports";

export function aggregateClient(client: RpcClient): AggregateHandler {
  return {
    handle: (request, options) => unary(client, Aggregate.method.handle, request, options),
    descriptor: (options) =>
      unary(client, Aggregate.method.getDescriptor, create(GetDescriptorRequestSchema), options),
  };
}
