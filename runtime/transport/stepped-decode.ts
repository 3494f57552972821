// Decoding a large handler answer without holding the event loop (issue 15, defect 2). A saga's
// answer to an order of 100,000 lines holds 100,000 commands (17 MB): decoded in one fromBinary
// call it holds the coordinator's event loop for half a second. Here the answer's one repeated
// message field (the commands) is cut out of the bytes and its items decoded STEP at a time with
// a turn of the event loop in between; the rest of the message is decoded as usual. The result
// equals fromBinary of the whole (a repeated field's items keep their order wherever they stand).
import { decodeBody, pathOf, type RpcClient } from "@angzarr/sdk";
import { type DescMessage, type DescMethod, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";
import { reactiveTurn } from "../coordinator/fair-share";

/** Answers smaller than this are decoded in one go. */
export const STEPPED_FROM_BYTES = 256 * 1024;
/** Items of the repeated field decoded between two turns. */
const STEP = 256;

/**
 * fromBinary(schema, bytes), the repeated message field `fieldNo` decoded in steps. Errors as the
 * SDK's decodeBody: INVALID_ARGUMENT naming the message.
 */
export async function decodeInSteps<D extends DescMessage>(
  schema: D,
  fieldNo: number,
  bytes: Uint8Array,
): Promise<MessageShape<D>> {
  const field = schema.fields.find((f) => f.number === fieldNo);
  if (field?.fieldKind !== "list" || field.listKind !== "message")
    throw new Error(`${schema.typeName} has no repeated message field ${fieldNo}`);
  try {
    const items: Uint8Array[] = [];
    const rest: Uint8Array[] = [];
    let restBytes = 0;
    const reader = new BinaryReader(bytes);
    while (reader.pos < reader.len) {
      const start = reader.pos;
      const [no, wireType] = reader.tag();
      if (no === fieldNo && wireType === WireType.LengthDelimited) {
        items.push(reader.bytes());
      } else {
        reader.skip(wireType, no);
        const part = bytes.subarray(start, reader.pos);
        rest.push(part);
        restBytes += part.length;
      }
    }
    const joined = new Uint8Array(restBytes);
    let at = 0;
    for (const part of rest) {
      joined.set(part, at);
      at += part.length;
    }
    const message = fromBinary(schema, joined);
    const list = (message as Record<string, unknown>)[field.localName] as unknown[];
    for (let i = 0; i < items.length; i++) {
      if (i % STEP === 0) await reactiveTurn();
      list.push(fromBinary(field.message, items[i] as Uint8Array));
    }
    return message;
  } catch (err) {
    throw new ConnectError(
      `failed to decode ${schema.typeName}: ${(err as Error).message}`,
      Code.InvalidArgument,
    );
  }
}

/**
 * A unary call with the request already encoded, its answer decoded in steps when large
 * (`fieldNo`: the answer's repeated message field that can grow without bound).
 */
export async function steppedRaw<O extends DescMessage>(
  client: RpcClient,
  method: DescMethod & { output: O },
  request: Uint8Array,
  fieldNo: number,
): Promise<MessageShape<O>> {
  const bytes = await client.raw(pathOf(method), request);
  if (bytes.length < STEPPED_FROM_BYTES) return decodeBody(method.output, bytes);
  return decodeInSteps(method.output, fieldNo, bytes);
}
