// A synthetic aggregate for gateway tests (not an example domain). Commands are wrapper types:
// - google.protobuf.StringValue "text"         → one StringValue event echoing it
// - StringValue "reject:<reason>"              → FAILED_PRECONDITION <reason>
// - StringValue "twice:<text>"                 → two StringValue events
// - StringValue "count"                        → one StringValue event "count:<events the state holds>"
// - google.protobuf.BytesValue                 → one BytesValue event with the same bytes
// State (also the snapshot): the number of events held, as a UInt32Value.
import { defineAggregate, failedPrecondition, handle, on } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import {
  BytesValueSchema,
  StringValueSchema,
  type UInt32Value,
  UInt32ValueSchema,
} from "@bufbuild/protobuf/wkt";

export const ECHO_DOMAIN = "echo";

export function echoAggregate(domain = ECHO_DOMAIN) {
  return defineAggregate({
    domain,
    state: UInt32ValueSchema,
    events: [
      on<UInt32Value, typeof StringValueSchema>(StringValueSchema, (state) => {
        state.value += 1;
      }),
      on<UInt32Value, typeof BytesValueSchema>(BytesValueSchema, (state) => {
        state.value += 1;
      }),
    ],
    commands: [
      handle<UInt32Value, typeof StringValueSchema>(StringValueSchema, (command, state): Message[] => {
        const text = command.value;
        if (text === "count") return [create(StringValueSchema, { value: `count:${state.value}` })];
        if (text.startsWith("reject:")) throw failedPrecondition(text.slice("reject:".length));
        if (text.startsWith("twice:")) {
          const value = text.slice("twice:".length);
          return [create(StringValueSchema, { value }), create(StringValueSchema, { value })];
        }
        return [create(StringValueSchema, { value: text })];
      }),
      handle<UInt32Value, typeof BytesValueSchema>(BytesValueSchema, (command) => [
        create(BytesValueSchema, { value: command.value }),
      ]),
    ],
  });
}
