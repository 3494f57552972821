// Saga, projector and process-manager handlers over any RpcClient.
import {
  type EventBook,
  GetDescriptorRequestSchema,
  ProcessManager,
  Projector,
  ProjectorCoordinator,
  Saga,
  SyncEventBookSchema,
  SyncMode,
} from "@angzarr/proto";
import { type RpcClient, unary } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { BusFilter } from "../bus/types";
import type { ProcessManagerHandler, ProjectorHandler, SagaHandler } from "../coordinator/reactive-ports";
import { steppedUnary } from "./stepped-decode";

const descriptorRequest = () => create(GetDescriptorRequestSchema);

export function sagaClient(name: string, input: BusFilter, client: RpcClient): SagaHandler {
  return {
    name,
    input,
    prepare: (request) => unary(client, Saga.method.prepare, request),
    // SagaResponse.commands (1): as many as the saga decides.
    execute: (request) => steppedUnary(client, Saga.method.execute, request, 1),
    descriptor: () => unary(client, Saga.method.getDescriptor, descriptorRequest()),
  };
}

export function projectorClient(
  name: string,
  input: BusFilter,
  synchronous: boolean,
  client: RpcClient,
): ProjectorHandler {
  // Reference projectors serve Projector/Handle, but the reference coordinator called
  // ProjectorCoordinator/HandleSync: try the former, fall back on UNIMPLEMENTED (wire-contract §3.10).
  let legacy = false;
  const handle = async (book: EventBook) => {
    if (!legacy) {
      try {
        return await unary(client, Projector.method.handle, book);
      } catch (err) {
        if (!(err instanceof ConnectError) || err.code !== Code.Unimplemented) throw err;
        legacy = true;
      }
    }
    return unary(
      client,
      ProjectorCoordinator.method.handleSync,
      create(SyncEventBookSchema, { events: book, syncMode: SyncMode.SIMPLE }),
    );
  };
  return {
    name,
    input,
    synchronous,
    handle,
    speculate: (book) => unary(client, ProjectorCoordinator.method.handleSpeculative, book),
    descriptor: () => unary(client, Projector.method.getDescriptor, descriptorRequest()),
  };
}

export function processManagerClient(
  name: string,
  stateDomain: string,
  inputs: BusFilter[],
  client: RpcClient,
): ProcessManagerHandler {
  return {
    name,
    stateDomain,
    inputs,
    prepare: (request) => unary(client, ProcessManager.method.prepare, request),
    // ProcessManagerHandleResponse.commands (1): as many as the PM decides.
    handle: (request) => steppedUnary(client, ProcessManager.method.handle, request, 1),
    descriptor: () => unary(client, ProcessManager.method.getDescriptor, descriptorRequest()),
  };
}
