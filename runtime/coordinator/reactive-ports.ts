// Ports for the reactive components (sagas, process managers, projectors) as the coordinators
// see them: named handlers with their inputs, however they are reached.
import type {
  ComponentDescriptor,
  EventBook,
  ProcessManagerHandleRequest,
  ProcessManagerHandleResponse,
  ProcessManagerPrepareRequest,
  ProcessManagerPrepareResponse,
  Projection,
  SagaExecuteRequest,
  SagaPrepareRequest,
  SagaPrepareResponse,
  SagaResponse,
} from "@angzarr/proto";
import type { BusFilter } from "../bus/types";

export interface SagaHandler {
  readonly name: string;
  readonly input: BusFilter;
  prepare(request: SagaPrepareRequest): Promise<SagaPrepareResponse>;
  execute(request: SagaExecuteRequest): Promise<SagaResponse>;
  descriptor(): Promise<ComponentDescriptor>;
}

export interface ProjectorHandler {
  readonly name: string;
  readonly input: BusFilter;
  /** Runs inside the command for SYNC_MODE_SIMPLE and CASCADE. */
  readonly synchronous: boolean;
  handle(book: EventBook): Promise<Projection>;
  /** Same result, no writes. */
  speculate(book: EventBook): Promise<Projection>;
  descriptor(): Promise<ComponentDescriptor>;
}

export interface ProcessManagerHandler {
  readonly name: string;
  /** The PM's own domain (never an input). */
  readonly stateDomain: string;
  readonly inputs: BusFilter[];
  prepare(request: ProcessManagerPrepareRequest): Promise<ProcessManagerPrepareResponse>;
  handle(request: ProcessManagerHandleRequest): Promise<ProcessManagerHandleResponse>;
  descriptor(): Promise<ComponentDescriptor>;
}

export interface ReactiveDirectory {
  sagas(): SagaHandler[];
  projectors(): ProjectorHandler[];
  processManagers(): ProcessManagerHandler[];
}
