// Descriptor conformance: the compiled descriptors must match wire-contract.md sections 2 and 4–7
// exactly (names, numbers, types, labels, reserved numbers, enum numbers, RPC shapes, options).
// The expected contract below is transcribed by hand from the spec; do not derive it from code.
import { describe, expect, test } from "bun:test";
import {
  file_angzarr_aggregate,
  file_angzarr_edition,
  file_angzarr_gateway,
  file_angzarr_process_manager,
  file_angzarr_projector,
  file_angzarr_query,
  file_angzarr_saga,
  file_angzarr_speculative,
  file_angzarr_types,
  file_angzarr_upcaster,
  file_health_v1_health,
} from "@angzarr/proto";
import {
  type DescEnum,
  type DescField,
  type DescFile,
  type DescMessage,
  ScalarType,
} from "@bufbuild/protobuf";

// ---------------------------------------------------------------------------------------------
// Expected contract. Field notation: "<number> <name> <type> [<label>]" where type is a scalar
// kind (uint32, string, ...) or a full message/enum name, and label is one of
// `repeated`, `optional` (proto3 explicit presence), `oneof:<name>`. Maps: `map<key,value>`.
// ---------------------------------------------------------------------------------------------

interface ExpectedMessage {
  fields: string[];
  /** Numbers the spec marks "unused": declared reserved, never assigned. */
  reserved?: number[];
}

const CONTRACT_MESSAGES: Record<string, ExpectedMessage> = {
  // §4 — angzarr/types.proto
  "angzarr.UUID": { fields: ["1 value bytes"] },
  "angzarr.Cover": {
    fields: [
      "1 root angzarr.UUID",
      "2 domain string",
      "3 correlation_id string",
      "4 edition angzarr.Edition",
    ],
  },
  "angzarr.Edition": { fields: ["1 name string", "2 divergences angzarr.DomainDivergence repeated"] },
  "angzarr.DomainDivergence": { fields: ["1 domain string", "2 sequence uint32"] },
  "angzarr.DeleteEditionEvents": { fields: ["1 edition string", "2 domain string"] },
  "angzarr.EditionEventsDeleted": {
    fields: ["1 edition string", "2 domain string", "3 deleted_count uint32", "4 deleted_at string"],
  },
  "angzarr.EventPage": {
    fields: [
      "1 num uint32 oneof:sequence",
      "2 force bool oneof:sequence",
      "3 created_at google.protobuf.Timestamp",
      "4 event google.protobuf.Any",
    ],
  },
  "angzarr.Snapshot": { fields: ["2 sequence uint32", "3 state google.protobuf.Any"], reserved: [1] },
  "angzarr.EventBook": {
    fields: [
      "1 cover angzarr.Cover",
      "2 snapshot angzarr.Snapshot",
      "3 pages angzarr.EventPage repeated",
      "5 snapshot_state google.protobuf.Any",
    ],
    reserved: [4],
  },
  "angzarr.SyncEventBook": { fields: ["1 events angzarr.EventBook", "2 sync_mode angzarr.SyncMode"] },
  "angzarr.Projection": {
    fields: [
      "1 cover angzarr.Cover",
      "2 projector string",
      "3 sequence uint32",
      "4 projection google.protobuf.Any",
    ],
  },
  "angzarr.CommandResponse": {
    fields: ["1 events angzarr.EventBook", "2 projections angzarr.Projection repeated"],
  },
  "angzarr.SagaResponse": {
    fields: ["1 commands angzarr.CommandBook repeated", "2 events angzarr.EventBook repeated"],
  },
  "angzarr.SagaPrepareRequest": { fields: ["1 source angzarr.EventBook"] },
  "angzarr.SagaPrepareResponse": { fields: ["1 destinations angzarr.Cover repeated"] },
  "angzarr.SagaExecuteRequest": {
    fields: ["1 source angzarr.EventBook", "2 destinations angzarr.EventBook repeated"],
  },
  "angzarr.SagaRetryRequest": {
    fields: [
      "1 source angzarr.EventBook",
      "2 destinations angzarr.EventBook repeated",
      "3 rejected_command angzarr.CommandBook",
      "4 rejection_reason string",
      "5 attempt uint32",
    ],
  },
  "angzarr.SagaCommandOrigin": {
    fields: [
      "1 saga_name string",
      "2 triggering_aggregate angzarr.Cover",
      "3 triggering_event_sequence uint32",
    ],
  },
  "angzarr.RevokeEventCommand": {
    fields: [
      "1 triggering_event_sequence uint32",
      "2 saga_name string",
      "3 rejection_reason string",
      "4 rejected_command angzarr.CommandBook",
    ],
  },
  "angzarr.RevocationResponse": {
    fields: [
      "1 emit_system_revocation bool",
      "2 send_to_dead_letter_queue bool",
      "3 escalate bool",
      "4 abort bool",
      "5 reason string",
    ],
  },
  "angzarr.BusinessResponse": {
    fields: [
      "1 events angzarr.EventBook oneof:result",
      "2 revocation angzarr.RevocationResponse oneof:result",
    ],
  },
  "angzarr.SagaCompensationFailed": {
    fields: [
      "1 triggering_aggregate angzarr.Cover",
      "2 triggering_event_sequence uint32",
      "3 saga_name string",
      "4 rejection_reason string",
      "5 compensation_failure_reason string",
      "6 rejected_command angzarr.CommandBook",
      "7 occurred_at google.protobuf.Timestamp",
    ],
  },
  "angzarr.CommandPage": { fields: ["1 sequence uint32", "3 command google.protobuf.Any"], reserved: [2] },
  "angzarr.CommandBook": {
    fields: [
      "1 cover angzarr.Cover",
      "2 pages angzarr.CommandPage repeated",
      "4 saga_origin angzarr.SagaCommandOrigin",
    ],
    reserved: [3, 5],
  },
  "angzarr.SyncCommandBook": { fields: ["1 command angzarr.CommandBook", "2 sync_mode angzarr.SyncMode"] },
  "angzarr.ContextualCommand": { fields: ["1 events angzarr.EventBook", "2 command angzarr.CommandBook"] },
  "angzarr.SyncContextualCommand": {
    fields: ["1 command angzarr.ContextualCommand", "2 sync_mode angzarr.SyncMode"],
  },
  "angzarr.SequenceRange": { fields: ["1 lower uint32", "2 upper uint32 optional"] },
  "angzarr.SequenceSet": { fields: ["1 values uint32 repeated"] },
  "angzarr.TemporalQuery": {
    fields: [
      "1 as_of_time google.protobuf.Timestamp oneof:point_in_time",
      "2 as_of_sequence uint32 oneof:point_in_time",
    ],
  },
  "angzarr.Query": {
    fields: [
      "1 cover angzarr.Cover",
      "3 range angzarr.SequenceRange oneof:selection",
      "4 sequences angzarr.SequenceSet oneof:selection",
      "5 temporal angzarr.TemporalQuery oneof:selection",
    ],
    reserved: [2],
  },
  "angzarr.AggregateRoot": { fields: ["1 domain string", "2 root angzarr.UUID"] },
  "angzarr.DryRunRequest": {
    fields: ["1 command angzarr.CommandBook", "2 point_in_time angzarr.TemporalQuery"],
  },
  "angzarr.EventStreamFilter": { fields: ["1 correlation_id string"] },
  "angzarr.Subscription": { fields: ["1 domain string", "2 event_types string repeated"] },
  "angzarr.ComponentDescriptor": {
    fields: ["1 name string", "2 component_type string", "3 inputs angzarr.Subscription repeated"],
  },
  "angzarr.GetDescriptorRequest": { fields: [] },

  // §5 — process_manager.proto
  "angzarr.ProcessManagerPrepareRequest": {
    fields: ["1 trigger angzarr.EventBook", "2 process_state angzarr.EventBook"],
  },
  "angzarr.ProcessManagerPrepareResponse": { fields: ["1 destinations angzarr.Cover repeated"] },
  "angzarr.ProcessManagerHandleRequest": {
    fields: [
      "1 trigger angzarr.EventBook",
      "2 process_state angzarr.EventBook",
      "3 destinations angzarr.EventBook repeated",
    ],
  },
  "angzarr.ProcessManagerHandleResponse": {
    fields: ["1 commands angzarr.CommandBook repeated", "2 process_events angzarr.EventBook"],
  },
  "angzarr.ProcessTimeout": {
    fields: [
      "1 correlation_id string",
      "2 process_type string",
      "3 timeout_type string",
      "4 deadline google.protobuf.Timestamp",
    ],
  },
  // §5 — speculative.proto
  "angzarr.SpeculateProjectorRequest": { fields: ["1 projector_name string", "2 events angzarr.EventBook"] },
  "angzarr.SpeculateSagaRequest": {
    fields: ["1 saga_name string", "2 source angzarr.EventBook", "3 destinations angzarr.EventBook repeated"],
  },
  "angzarr.SpeculatePmRequest": {
    fields: [
      "1 pm_name string",
      "2 trigger angzarr.EventBook",
      "3 process_state angzarr.EventBook",
      "4 destinations angzarr.EventBook repeated",
    ],
  },
  // §5 — edition.proto
  "angzarr.CreateEditionRequest": {
    fields: ["1 name string", "2 divergence_point angzarr.TemporalQuery", "3 description string"],
  },
  "angzarr.CreateEditionResponse": { fields: ["1 name string", "2 created_at string"] },
  "angzarr.DeleteEditionRequest": { fields: ["1 name string"] },
  "angzarr.DeleteEditionResponse": { fields: [] },
  "angzarr.ListEditionsRequest": { fields: [] },
  "angzarr.ListEditionsResponse": { fields: ["1 editions angzarr.EditionInfo repeated"] },
  "angzarr.EditionInfo": {
    fields: [
      "1 name string",
      "2 created_at string",
      "3 divergence_point angzarr.TemporalQuery",
      "4 description string",
    ],
  },
  // §5 — upcaster.proto
  "angzarr.UpcastRequest": { fields: ["1 domain string", "2 events angzarr.EventPage repeated"] },
  "angzarr.UpcastResponse": { fields: ["1 events angzarr.EventPage repeated"] },
  // §5 — health/v1/health.proto
  "grpc.health.v1.HealthCheckRequest": { fields: ["1 service string"] },
  "grpc.health.v1.HealthCheckResponse": {
    fields: ["1 status grpc.health.v1.HealthCheckResponse.ServingStatus"],
  },
  "grpc.health.v1.HealthListRequest": { fields: [] },
  "grpc.health.v1.HealthListResponse": {
    fields: ["1 statuses map<string,grpc.health.v1.HealthCheckResponse>"],
  },
};

// §6 — enums: value name → number.
const CONTRACT_ENUMS: Record<string, Record<string, number>> = {
  "angzarr.SyncMode": { SYNC_MODE_NONE: 0, SYNC_MODE_SIMPLE: 1, SYNC_MODE_CASCADE: 2 },
  "grpc.health.v1.HealthCheckResponse.ServingStatus": {
    UNKNOWN: 0,
    SERVING: 1,
    NOT_SERVING: 2,
    SERVICE_UNKNOWN: 3,
  },
};

// §7 — services: "<path> <kind> <request> -> <response>". Kinds: U, SS, BI (CS would be client streaming).
const CONTRACT_RPCS: string[] = [
  "/angzarr.Aggregate/GetDescriptor U angzarr.GetDescriptorRequest -> angzarr.ComponentDescriptor",
  "/angzarr.Aggregate/Handle U angzarr.ContextualCommand -> angzarr.BusinessResponse",
  "/angzarr.AggregateCoordinator/Handle U angzarr.CommandBook -> angzarr.CommandResponse",
  "/angzarr.AggregateCoordinator/HandleSync U angzarr.SyncCommandBook -> angzarr.CommandResponse",
  "/angzarr.AggregateCoordinator/DryRunHandle U angzarr.DryRunRequest -> angzarr.CommandResponse",
  "/angzarr.Saga/GetDescriptor U angzarr.GetDescriptorRequest -> angzarr.ComponentDescriptor",
  "/angzarr.Saga/Prepare U angzarr.SagaPrepareRequest -> angzarr.SagaPrepareResponse",
  "/angzarr.Saga/Execute U angzarr.SagaExecuteRequest -> angzarr.SagaResponse",
  "/angzarr.SagaCoordinator/ExecuteSpeculative U angzarr.SagaExecuteRequest -> angzarr.SagaResponse",
  "/angzarr.Projector/GetDescriptor U angzarr.GetDescriptorRequest -> angzarr.ComponentDescriptor",
  "/angzarr.Projector/Handle U angzarr.EventBook -> angzarr.Projection",
  "/angzarr.ProjectorCoordinator/HandleSync U angzarr.SyncEventBook -> angzarr.Projection",
  "/angzarr.ProjectorCoordinator/Handle U angzarr.EventBook -> google.protobuf.Empty",
  "/angzarr.ProjectorCoordinator/HandleSpeculative U angzarr.EventBook -> angzarr.Projection",
  "/angzarr.ProcessManager/GetDescriptor U angzarr.GetDescriptorRequest -> angzarr.ComponentDescriptor",
  "/angzarr.ProcessManager/Prepare U angzarr.ProcessManagerPrepareRequest -> angzarr.ProcessManagerPrepareResponse",
  "/angzarr.ProcessManager/Handle U angzarr.ProcessManagerHandleRequest -> angzarr.ProcessManagerHandleResponse",
  "/angzarr.ProcessManagerCoordinator/HandleSpeculative U angzarr.ProcessManagerHandleRequest -> angzarr.ProcessManagerHandleResponse",
  "/angzarr.EventQuery/GetEventBook U angzarr.Query -> angzarr.EventBook",
  "/angzarr.EventQuery/GetEvents SS angzarr.Query -> angzarr.EventBook",
  "/angzarr.EventQuery/Synchronize BI angzarr.Query -> angzarr.EventBook",
  "/angzarr.EventQuery/GetAggregateRoots SS google.protobuf.Empty -> angzarr.AggregateRoot",
  "/angzarr.EventStream/Subscribe SS angzarr.EventStreamFilter -> angzarr.EventBook",
  "/angzarr.CommandGateway/Execute U angzarr.CommandBook -> angzarr.CommandResponse",
  "/angzarr.CommandGateway/ExecuteSync U angzarr.SyncCommandBook -> angzarr.CommandResponse",
  "/angzarr.CommandGateway/ExecuteStream SS angzarr.CommandBook -> angzarr.EventBook",
  "/angzarr.SpeculativeService/DryRunCommand U angzarr.DryRunRequest -> angzarr.CommandResponse",
  "/angzarr.SpeculativeService/SpeculateProjector U angzarr.SpeculateProjectorRequest -> angzarr.Projection",
  "/angzarr.SpeculativeService/SpeculateSaga U angzarr.SpeculateSagaRequest -> angzarr.SagaResponse",
  "/angzarr.SpeculativeService/SpeculateProcessManager U angzarr.SpeculatePmRequest -> angzarr.ProcessManagerHandleResponse",
  "/angzarr.EditionService/CreateEdition U angzarr.CreateEditionRequest -> angzarr.CreateEditionResponse",
  "/angzarr.EditionService/DeleteEdition U angzarr.DeleteEditionRequest -> angzarr.DeleteEditionResponse",
  "/angzarr.EditionService/ListEditions U angzarr.ListEditionsRequest -> angzarr.ListEditionsResponse",
  "/angzarr.Upcaster/Upcast U angzarr.UpcastRequest -> angzarr.UpcastResponse",
  "/grpc.health.v1.Health/Check U grpc.health.v1.HealthCheckRequest -> grpc.health.v1.HealthCheckResponse",
  "/grpc.health.v1.Health/Watch SS grpc.health.v1.HealthCheckRequest -> grpc.health.v1.HealthCheckResponse",
  "/grpc.health.v1.Health/List U grpc.health.v1.HealthListRequest -> grpc.health.v1.HealthListResponse",
];

// §2 — files: package, imports, and where each message / service lives.
interface ExpectedFile {
  file: DescFile;
  name: string;
  pkg: string;
  imports: string[];
  messages: string[];
  enums: string[];
  services: string[];
}

const CONTRACT_FILES: ExpectedFile[] = [
  {
    file: file_angzarr_types,
    name: "angzarr/types.proto",
    pkg: "angzarr",
    imports: ["google/protobuf/any.proto", "google/protobuf/timestamp.proto"],
    messages: [
      "UUID",
      "Cover",
      "Edition",
      "DomainDivergence",
      "DeleteEditionEvents",
      "EditionEventsDeleted",
      "EventPage",
      "Snapshot",
      "EventBook",
      "SyncEventBook",
      "Projection",
      "CommandResponse",
      "SagaResponse",
      "SagaPrepareRequest",
      "SagaPrepareResponse",
      "SagaExecuteRequest",
      "SagaRetryRequest",
      "SagaCommandOrigin",
      "RevokeEventCommand",
      "RevocationResponse",
      "BusinessResponse",
      "SagaCompensationFailed",
      "CommandPage",
      "CommandBook",
      "SyncCommandBook",
      "ContextualCommand",
      "SyncContextualCommand",
      "SequenceRange",
      "SequenceSet",
      "TemporalQuery",
      "Query",
      "AggregateRoot",
      "DryRunRequest",
      "EventStreamFilter",
      "Subscription",
      "ComponentDescriptor",
      "GetDescriptorRequest",
    ],
    enums: ["SyncMode"],
    services: [],
  },
  {
    file: file_angzarr_aggregate,
    name: "angzarr/aggregate.proto",
    pkg: "angzarr",
    imports: ["angzarr/types.proto"],
    messages: [],
    enums: [],
    services: ["Aggregate", "AggregateCoordinator"],
  },
  {
    file: file_angzarr_saga,
    name: "angzarr/saga.proto",
    pkg: "angzarr",
    imports: ["angzarr/types.proto"],
    messages: [],
    enums: [],
    services: ["Saga", "SagaCoordinator"],
  },
  {
    file: file_angzarr_projector,
    name: "angzarr/projector.proto",
    pkg: "angzarr",
    imports: ["angzarr/types.proto", "google/protobuf/empty.proto"],
    messages: [],
    enums: [],
    services: ["Projector", "ProjectorCoordinator"],
  },
  {
    file: file_angzarr_process_manager,
    name: "angzarr/process_manager.proto",
    pkg: "angzarr",
    imports: ["angzarr/types.proto", "google/protobuf/timestamp.proto"],
    messages: [
      "ProcessManagerPrepareRequest",
      "ProcessManagerPrepareResponse",
      "ProcessManagerHandleRequest",
      "ProcessManagerHandleResponse",
      "ProcessTimeout",
    ],
    enums: [],
    services: ["ProcessManager", "ProcessManagerCoordinator"],
  },
  {
    file: file_angzarr_query,
    name: "angzarr/query.proto",
    pkg: "angzarr",
    imports: ["angzarr/types.proto", "google/protobuf/empty.proto"],
    messages: [],
    enums: [],
    services: ["EventQuery"],
  },
  {
    file: file_angzarr_gateway,
    name: "angzarr/gateway.proto",
    pkg: "angzarr",
    imports: ["angzarr/types.proto"],
    messages: [],
    enums: [],
    services: ["EventStream", "CommandGateway"],
  },
  {
    file: file_angzarr_speculative,
    name: "angzarr/speculative.proto",
    pkg: "angzarr",
    imports: ["angzarr/types.proto", "angzarr/process_manager.proto"],
    messages: ["SpeculateProjectorRequest", "SpeculateSagaRequest", "SpeculatePmRequest"],
    enums: [],
    services: ["SpeculativeService"],
  },
  {
    file: file_angzarr_edition,
    name: "angzarr/edition.proto",
    pkg: "angzarr",
    imports: ["angzarr/types.proto"],
    messages: [
      "CreateEditionRequest",
      "CreateEditionResponse",
      "DeleteEditionRequest",
      "DeleteEditionResponse",
      "ListEditionsRequest",
      "ListEditionsResponse",
      "EditionInfo",
    ],
    enums: [],
    services: ["EditionService"],
  },
  {
    file: file_angzarr_upcaster,
    name: "angzarr/upcaster.proto",
    pkg: "angzarr",
    imports: ["angzarr/types.proto"],
    messages: ["UpcastRequest", "UpcastResponse"],
    enums: [],
    services: ["Upcaster"],
  },
  {
    file: file_health_v1_health,
    name: "health/v1/health.proto",
    pkg: "grpc.health.v1",
    imports: [],
    messages: ["HealthCheckRequest", "HealthCheckResponse", "HealthListRequest", "HealthListResponse"],
    enums: [],
    services: ["Health"],
  },
];

// ---------------------------------------------------------------------------------------------
// Reading the compiled descriptors into the same notation.
// ---------------------------------------------------------------------------------------------

const SCALAR_NAMES: Record<ScalarType, string> = {
  [ScalarType.DOUBLE]: "double",
  [ScalarType.FLOAT]: "float",
  [ScalarType.INT64]: "int64",
  [ScalarType.UINT64]: "uint64",
  [ScalarType.INT32]: "int32",
  [ScalarType.FIXED64]: "fixed64",
  [ScalarType.FIXED32]: "fixed32",
  [ScalarType.BOOL]: "bool",
  [ScalarType.STRING]: "string",
  [ScalarType.BYTES]: "bytes",
  [ScalarType.UINT32]: "uint32",
  [ScalarType.SFIXED32]: "sfixed32",
  [ScalarType.SFIXED64]: "sfixed64",
  [ScalarType.SINT32]: "sint32",
  [ScalarType.SINT64]: "sint64",
};

function describeField(field: DescField): string {
  let type: string;
  let label = "";
  switch (field.fieldKind) {
    case "scalar":
      type = SCALAR_NAMES[field.scalar];
      break;
    case "enum":
      type = field.enum.typeName;
      break;
    case "message":
      type = field.message.typeName;
      break;
    case "list":
      label = "repeated";
      type =
        field.listKind === "scalar"
          ? SCALAR_NAMES[field.scalar]
          : field.listKind === "enum"
            ? field.enum.typeName
            : field.message.typeName;
      break;
    case "map": {
      const value =
        field.mapKind === "scalar"
          ? SCALAR_NAMES[field.scalar]
          : field.mapKind === "enum"
            ? field.enum.typeName
            : field.message.typeName;
      type = `map<${SCALAR_NAMES[field.mapKey]},${value}>`;
      break;
    }
  }
  if (field.fieldKind !== "list" && field.fieldKind !== "map") {
    if (field.oneof !== undefined) label = `oneof:${field.oneof.name}`;
    else if (field.proto.proto3Optional) label = "optional";
  }
  return [String(field.number), field.name, type, label].filter((s) => s !== "").join(" ");
}

/**
 * Fields numbered 1000–1999 are our permitted extensions (wire-contract §10): absent, they mean the
 * reference behaviour, so the comparison leaves them (and the entry messages of extension maps) out.
 */
const isExtension = (field: DescField) => field.number >= 1000 && field.number <= 1999;
const contractFields = (message: DescMessage) => message.fields.filter((f) => !isExtension(f));

function allMessages(messages: readonly DescMessage[]): DescMessage[] {
  return messages
    .filter((m) => !m.proto.options?.mapEntry)
    .flatMap((m) => [m, ...allMessages(m.nestedMessages)]);
}

function allEnums(file: DescFile): DescEnum[] {
  return [...file.enums, ...allMessages(file.messages).flatMap((m) => m.nestedEnums)];
}

const FILES: DescFile[] = CONTRACT_FILES.map((f) => f.file);
const MESSAGES: DescMessage[] = FILES.flatMap((f) => allMessages(f.messages));

function reservedNumbers(message: DescMessage): number[] {
  const out: number[] = [];
  for (const range of message.proto.reservedRange) {
    for (let n = range.start; n < range.end; n++) out.push(n);
  }
  return out;
}

function rpcKind(kind: "unary" | "server_streaming" | "client_streaming" | "bidi_streaming"): string {
  return { unary: "U", server_streaming: "SS", client_streaming: "CS", bidi_streaming: "BI" }[kind];
}

// ---------------------------------------------------------------------------------------------

describe("files (§2)", () => {
  for (const expected of CONTRACT_FILES) {
    test(`${expected.name}: package, syntax, imports and declarations`, () => {
      const f = expected.file;
      expect(f.proto.name).toBe(expected.name);
      expect(f.proto.package).toBe(expected.pkg);
      expect(f.proto.syntax).toBe("proto3");
      expect([...f.proto.dependency].sort()).toEqual([...expected.imports].sort());
      expect(f.messages.map((m) => m.name)).toEqual(expected.messages);
      expect(f.enums.map((e) => e.name)).toEqual(expected.enums);
      expect(f.services.map((s) => s.name)).toEqual(expected.services);
      expect(f.extensions).toEqual([]);
    });
  }

  test("angzarr files carry the reference language options", () => {
    for (const expected of CONTRACT_FILES.filter((f) => f.pkg === "angzarr")) {
      const options = expected.file.proto.options;
      expect(options?.goPackage, expected.name).toBe("github.com/angzarr/angzarr/proto/angzarr");
      expect(options?.javaPackage, expected.name).toBe("dev.angzarr");
      expect(options?.javaMultipleFiles, expected.name).toBe(true);
      const isUpcaster = expected.name === "angzarr/upcaster.proto";
      expect(options?.csharpNamespace, expected.name).toBe(isUpcaster ? "Angzarr" : "");
      expect(options?.rubyPackage, expected.name).toBe(isUpcaster ? "Angzarr" : "");
    }
  });
});

describe("messages (§4, §5)", () => {
  test("the set of messages is exactly the contract's (no missing, no extra)", () => {
    expect(MESSAGES.map((m) => m.typeName).sort()).toEqual(Object.keys(CONTRACT_MESSAGES).sort());
  });

  for (const message of MESSAGES) {
    const expected = CONTRACT_MESSAGES[message.typeName];
    test(`${message.typeName}: fields match exactly`, () => {
      expect(expected).toBeDefined();
      const actual = contractFields(message).map(describeField).sort();
      expect(actual).toEqual([...(expected?.fields ?? [])].sort());
    });

    test(`${message.typeName}: reserved numbers`, () => {
      const reserved = expected?.reserved ?? [];
      expect(reservedNumbers(message)).toEqual(reserved);
      expect(message.proto.reservedName).toEqual([]);
      const used = new Set(message.fields.map((f) => f.number));
      for (const n of reserved) expect(used.has(n)).toBe(false);
    });
  }

  test("only SequenceRange.upper uses proto3 explicit presence outside oneofs", () => {
    const optional = MESSAGES.flatMap((m) => m.fields.filter((f) => f.proto.proto3Optional)).map(
      (f) => `${f.parent.typeName}.${f.name}`,
    );
    expect(optional).toEqual(["angzarr.SequenceRange.upper"]);
  });

  test("oneof groups are exactly the contract's", () => {
    const oneofs = MESSAGES.flatMap((m) => m.oneofs.map((o) => `${m.typeName}.${o.name}`)).sort();
    expect(oneofs).toEqual([
      "angzarr.BusinessResponse.result",
      "angzarr.EventPage.sequence",
      "angzarr.Query.selection",
      "angzarr.TemporalQuery.point_in_time",
    ]);
  });

  test("SequenceSet.values is packed (canonical form, §3.7)", () => {
    const field = MESSAGES.find((m) => m.typeName === "angzarr.SequenceSet")?.field.values;
    expect(field?.fieldKind).toBe("list");
    expect(field?.fieldKind === "list" && field.packed).toBe(true);
  });

  test("the contract has no field the descriptors lack", () => {
    for (const [name, expected] of Object.entries(CONTRACT_MESSAGES)) {
      const message = MESSAGES.find((m) => m.typeName === name);
      expect(message, name).toBeDefined();
      expect(message && contractFields(message).length, name).toBe(expected.fields.length);
    }
  });
});

describe("enums (§6)", () => {
  const enums = FILES.flatMap(allEnums);

  test("the set of enums is exactly the contract's", () => {
    expect(enums.map((e) => e.typeName).sort()).toEqual(Object.keys(CONTRACT_ENUMS).sort());
  });

  for (const e of enums) {
    test(`${e.typeName}: values and numbers`, () => {
      const actual = Object.fromEntries(e.values.map((v) => [v.name, v.number]));
      expect(actual).toEqual(CONTRACT_ENUMS[e.typeName] ?? {});
    });
  }
});

describe("services (§7)", () => {
  const rpcs = FILES.flatMap((f) =>
    f.services.flatMap((s) =>
      s.methods.map(
        (m) =>
          `/${s.typeName}/${m.name} ${rpcKind(m.methodKind)} ${m.input.typeName} -> ${m.output.typeName}`,
      ),
    ),
  );

  test("every RPC path, shape and type matches the table exactly", () => {
    expect([...rpcs].sort()).toEqual([...CONTRACT_RPCS].sort());
  });

  test("37 RPCs, none client-streaming", () => {
    expect(rpcs.length).toBe(37);
    expect(rpcs.filter((r) => r.includes(" CS "))).toEqual([]);
  });
});
