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
import { decodeBody, pathOf, type RpcClient, unary } from "@angzarr/sdk";
import { create, type DescMessage, type DescMethod, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { BusFilter } from "../bus/types";
import { type BookFields, bookBytes, bookRequestBytes } from "../coordinator/book-bytes";
import type { ProcessManagerHandler, ProjectorHandler, SagaHandler } from "../coordinator/reactive-ports";
import { steppedRaw } from "./stepped-decode";

const descriptorRequest = () => create(GetDescriptorRequestSchema);

/** A unary call whose request is already encoded. */
async function rawUnary<O extends DescMessage>(
  client: RpcClient,
  method: DescMethod & { output: O },
  request: Uint8Array,
): Promise<MessageShape<O>> {
  return decodeBody(method.output, await client.raw(pathOf(method), request));
}

/**
 * A call whose request is made of EventBooks only (`fields` names them), encoded with the pages'
 * remembered bytes (book-bytes.ts); the answer decoded in steps when `stepped` names its
 * unbounded repeated field.
 */
function bookCall<I extends DescMessage, O extends DescMessage>(
  client: RpcClient,
  method: DescMethod & { input: I; output: O },
  fields: (request: MessageShape<I>) => BookFields,
  stepped?: number,
): (request: MessageShape<I>) => Promise<MessageShape<O>> {
  return (request) => {
    const bytes = bookRequestBytes(method.input, request, fields(request));
    return stepped === undefined
      ? rawUnary(client, method, bytes)
      : steppedRaw(client, method, bytes, stepped);
  };
}

export function sagaClient(name: string, input: BusFilter, client: RpcClient): SagaHandler {
  return {
    name,
    input,
    prepare: bookCall(client, Saga.method.prepare, (r) => [[1, r.source]]),
    // SagaResponse.commands (1): as many as the saga decides.
    execute: bookCall(
      client,
      Saga.method.execute,
      (r) => [
        [1, r.source],
        [2, r.destinations],
      ],
      1,
    ),
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
        return await rawUnary(client, Projector.method.handle, bookBytes(book));
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
    prepare: bookCall(client, ProcessManager.method.prepare, (r) => [
      [1, r.trigger],
      [2, r.processState],
    ]),
    // ProcessManagerHandleResponse.commands (1): as many as the PM decides.
    handle: bookCall(
      client,
      ProcessManager.method.handle,
      (r) => [
        [1, r.trigger],
        [2, r.processState],
        [3, r.destinations],
      ],
      1,
    ),
    descriptor: () => unary(client, ProcessManager.method.getDescriptor, descriptorRequest()),
  };
}
