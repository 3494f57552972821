// A fast decoder for flat messages (every field a singular scalar or open enum, outside any
// oneof): a straight walk over the bytes into a message from `create()`, with no reader object
// and no per-field closure. It gives exactly what protobuf-es `fromBinary` gives, or declines:
// anything it does not recognise (an unknown field, which fromBinary would keep in `$unknown`; a
// wire type that does not match the field; non-ASCII text; a malformed varint or length) makes
// it return undefined, and the caller decodes those bytes with fromBinary instead.
import {
  create,
  type DescField,
  type DescMessage,
  type Message,
  protoInt64,
  ScalarType,
} from "@bufbuild/protobuf";

/** Decodes `buf[start, end)`, or undefined when the general decoder must do it. */
export type ScalarDecoder = (buf: Uint8Array, start: number, end: number) => Message | undefined;

const VARINT = 0;
const BIT64 = 1;
const LEN = 2;
const BIT32 = 5;

/** How one field is read: its local name, expected wire type and value kind. */
interface FieldPlan {
  name: string;
  wire: number;
  scalar: ScalarType;
  strict: boolean;
}

function wireTypeOf(scalar: ScalarType): number {
  switch (scalar) {
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return BIT64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return BIT32;
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return LEN;
    default:
      return VARINT;
  }
}

function planOf(field: DescField): FieldPlan | undefined {
  if (field.oneof !== undefined) return undefined;
  if (field.fieldKind === "enum") {
    // Closed (proto2) enums keep unknown values as unknown fields: leave those to fromBinary.
    if (!field.enum.open) return undefined;
    return { name: field.localName, wire: VARINT, scalar: ScalarType.INT32, strict: false };
  }
  if (field.fieldKind !== "scalar" || field.longAsString) return undefined;
  return {
    name: field.localName,
    wire: wireTypeOf(field.scalar),
    scalar: field.scalar,
    strict: field.utf8Validation,
  };
}

const compiled = new WeakMap<DescMessage, ScalarDecoder | null>();

/** The fast decoder of a flat message type, or undefined when the type is not flat. */
export function scalarDecoder(schema: DescMessage): ScalarDecoder | undefined {
  let decoder = compiled.get(schema);
  if (decoder === undefined) {
    decoder = compile(schema) ?? null;
    compiled.set(schema, decoder);
  }
  return decoder ?? undefined;
}

const lenient = new TextDecoder("utf-8", { ignoreBOM: true });
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function compile(schema: DescMessage): ScalarDecoder | undefined {
  const plans: (FieldPlan | undefined)[] = [];
  for (const field of schema.fields) {
    const plan = planOf(field);
    if (plan === undefined || field.number > 1024) return undefined;
    plans[field.number] = plan;
  }
  // Scratch for 64-bit varints: [lo, hi].
  const wide = new Int32Array(2);
  let view: DataView | undefined;
  let viewOf: Uint8Array | undefined;

  return (buf, start, end) => {
    const message = create(schema) as unknown as Record<string, unknown>;
    let pos = start;
    while (pos < end) {
      // Tag: a varint of at most 5 bytes that fits uint32, field number > 0.
      let tag = 0;
      let scale = 1;
      let b = 0;
      do {
        if (pos >= end || scale > 0x10000000) return undefined;
        b = buf[pos++] as number;
        tag += (b & 0x7f) * scale;
        scale *= 128;
      } while (b & 0x80);
      if (tag > 0xffffffff) return undefined;
      const wire = tag & 7;
      const plan = plans[Math.floor(tag / 8)];
      if (plan === undefined || plan.wire !== wire) return undefined;

      switch (wire) {
        case VARINT: {
          // Up to 10 bytes; lo = bits 0..31, hi = bits 32..63.
          let lo = 0;
          let hi = 0;
          let i = 0;
          do {
            if (pos >= end || i >= 10) return undefined;
            b = buf[pos++] as number;
            if (i < 4) lo |= (b & 0x7f) << (7 * i);
            else if (i === 4) {
              lo |= (b & 0x0f) << 28;
              hi = (b & 0x70) >> 4;
            } else hi |= (b & 0x7f) << (7 * i - 32);
            i++;
          } while (b & 0x80);
          switch (plan.scalar) {
            case ScalarType.INT32:
              message[plan.name] = lo | 0;
              break;
            case ScalarType.UINT32:
              message[plan.name] = lo >>> 0;
              break;
            case ScalarType.SINT32: {
              const zze = lo >>> 0;
              message[plan.name] = (zze >>> 1) ^ -(zze & 1);
              break;
            }
            case ScalarType.BOOL:
              message[plan.name] = lo !== 0 || hi !== 0;
              break;
            case ScalarType.INT64:
              message[plan.name] = protoInt64.dec(lo, hi);
              break;
            case ScalarType.UINT64:
              message[plan.name] = protoInt64.uDec(lo, hi);
              break;
            case ScalarType.SINT64: {
              const s = -(lo & 1);
              wide[0] = ((lo >>> 1) | ((hi & 1) << 31)) ^ s;
              wide[1] = (hi >>> 1) ^ s;
              message[plan.name] = protoInt64.dec(wide[0] as number, wide[1] as number);
              break;
            }
            default:
              return undefined;
          }
          break;
        }
        case BIT32:
        case BIT64: {
          const size = wire === BIT32 ? 4 : 8;
          if (pos + size > end) return undefined;
          if (viewOf !== buf) {
            view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
            viewOf = buf;
          }
          const v = view as DataView;
          switch (plan.scalar) {
            case ScalarType.FLOAT:
              message[plan.name] = v.getFloat32(pos, true);
              break;
            case ScalarType.FIXED32:
              message[plan.name] = v.getUint32(pos, true);
              break;
            case ScalarType.SFIXED32:
              message[plan.name] = v.getInt32(pos, true);
              break;
            case ScalarType.DOUBLE:
              message[plan.name] = v.getFloat64(pos, true);
              break;
            case ScalarType.FIXED64:
              message[plan.name] = protoInt64.uDec(v.getInt32(pos, true), v.getInt32(pos + 4, true));
              break;
            case ScalarType.SFIXED64:
              message[plan.name] = protoInt64.dec(v.getInt32(pos, true), v.getInt32(pos + 4, true));
              break;
            default:
              return undefined;
          }
          pos += size;
          break;
        }
        case LEN: {
          let len = 0;
          scale = 1;
          do {
            if (pos >= end || scale > 0x10000000) return undefined;
            b = buf[pos++] as number;
            len += (b & 0x7f) * scale;
            scale *= 128;
          } while (b & 0x80);
          const stop = pos + len;
          if (stop > end) return undefined;
          if (plan.scalar === ScalarType.BYTES) {
            message[plan.name] = buf.subarray(pos, stop);
          } else {
            let ascii = true;
            for (let i = pos; i < stop; i++) {
              if ((buf[i] as number) > 0x7f) {
                ascii = false;
                break;
              }
            }
            if (ascii) message[plan.name] = lenient.decode(buf.subarray(pos, stop));
            else {
              try {
                message[plan.name] = (plan.strict ? strictUtf8 : lenient).decode(buf.subarray(pos, stop));
              } catch {
                return undefined;
              }
            }
          }
          pos = stop;
          break;
        }
        default:
          return undefined;
      }
    }
    return message as unknown as Message;
  };
}
