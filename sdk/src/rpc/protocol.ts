// The lean Connect unary protocol (binary), shared by our socket server, socket client and the
// in-memory transport: POST /<package>.<Service>/<Method>, body = one protobuf message;
// errors as Connect's JSON error body. See https://connectrpc.com/docs/protocol (unary).
import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

export const CONTENT_TYPE_PROTO = "application/proto";

/**
 * A request body held in memory: one buffer, or its parts in order (a multi-megabyte history
 * spliced between a small head and tail is sent as is, never copied into one buffer by the sender).
 */
export type BufferedBody = Uint8Array | readonly Uint8Array[];

/**
 * A request body made while it is sent (HTTP/1.1 chunked over a socket): each item of `parts()`
 * is one piece (its buffers in order), written as soon as it is made. `parts()` starts over at
 * every call, so a call sent again sends the whole body again. An error thrown by the sequence
 * fails the call with that error (the request is cut off: the receiver never sees a whole body).
 */
export interface StreamedBody {
  readonly parts: () => AsyncIterable<readonly Uint8Array[]>;
}

export type RequestBody = BufferedBody | StreamedBody;

/** True for a body made while it is sent. */
export function isStreamed(body: RequestBody): body is StreamedBody {
  return !(body instanceof Uint8Array) && !Array.isArray(body);
}

/** Bytes in a request body held in memory. */
export function bodyLength(body: BufferedBody): number {
  if (body instanceof Uint8Array) return body.length;
  let n = 0;
  for (const part of body) n += part.length;
  return n;
}

/** A request body as one buffer (the parts copied once; a single buffer as is). */
export function joinBody(body: BufferedBody): Uint8Array {
  if (body instanceof Uint8Array) return body;
  if (body.length === 1) return body[0] as Uint8Array;
  const out = new Uint8Array(bodyLength(body));
  let at = 0;
  for (const part of body) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Any request body as one buffer: a streamed one made to its end first. */
export async function gatherBody(body: RequestBody): Promise<Uint8Array> {
  if (!isStreamed(body)) return joinBody(body);
  const parts: Uint8Array[] = [];
  for await (const piece of body.parts()) parts.push(...piece);
  return joinBody(parts);
}

export const CONTENT_TYPE_JSON = "application/json";
export const PROTOCOL_VERSION_HEADER = "connect-protocol-version";
export const CORRELATION_HEADER = "x-correlation-id";

const CODE_NAMES: Record<Code, string> = {
  [Code.Canceled]: "canceled",
  [Code.Unknown]: "unknown",
  [Code.InvalidArgument]: "invalid_argument",
  [Code.DeadlineExceeded]: "deadline_exceeded",
  [Code.NotFound]: "not_found",
  [Code.AlreadyExists]: "already_exists",
  [Code.PermissionDenied]: "permission_denied",
  [Code.ResourceExhausted]: "resource_exhausted",
  [Code.FailedPrecondition]: "failed_precondition",
  [Code.Aborted]: "aborted",
  [Code.OutOfRange]: "out_of_range",
  [Code.Unimplemented]: "unimplemented",
  [Code.Internal]: "internal",
  [Code.Unavailable]: "unavailable",
  [Code.DataLoss]: "data_loss",
  [Code.Unauthenticated]: "unauthenticated",
};
const CODES_BY_NAME = new Map(Object.entries(CODE_NAMES).map(([code, name]) => [name, Number(code) as Code]));

const HTTP_STATUS: Partial<Record<Code, number>> = {
  [Code.Canceled]: 499,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Unavailable]: 503,
  [Code.Unauthenticated]: 401,
};

export function codeName(code: Code): string {
  return CODE_NAMES[code] ?? "unknown";
}

/** Any thrown value as a ConnectError; unknown errors become INTERNAL without a stack. */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ConnectError(message, Code.Internal);
}

interface WireError {
  code: string;
  message?: string;
  details?: { type: string; value: string }[];
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}

/** The HTTP response for an error, with details (e.g. the current EventBook) encoded. */
export function errorResponse(err: unknown): Response {
  const ce = toConnectError(err);
  const body: WireError = { code: codeName(ce.code), message: ce.rawMessage };
  const details = ce.details.map((d) =>
    "desc" in d
      ? { type: d.desc.typeName, value: b64(toBinary(d.desc, create(d.desc, d.value))) }
      : { type: d.type, value: b64(d.value) },
  );
  if (details.length > 0) body.details = details;
  return new Response(JSON.stringify(body), {
    status: HTTP_STATUS[ce.code] ?? 500,
    headers: { "content-type": CONTENT_TYPE_JSON },
  });
}

/** Reads an error response back into a ConnectError (details kept as raw type + bytes). */
export async function errorFromResponse(res: Response): Promise<ConnectError> {
  const text = await res.text();
  let parsed: WireError | undefined;
  try {
    parsed = JSON.parse(text) as WireError;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || typeof parsed.code !== "string") {
    return new ConnectError(`HTTP ${res.status}: ${text.slice(0, 200)}`, httpToCode(res.status));
  }
  const code = CODES_BY_NAME.get(parsed.code) ?? Code.Unknown;
  const err = new ConnectError(parsed.message ?? "", code);
  for (const d of parsed.details ?? []) {
    err.details.push({
      type: d.type,
      value: new Uint8Array(Buffer.from(d.value, "base64")),
      debug: undefined,
    });
  }
  return err;
}

function httpToCode(status: number): Code {
  switch (status) {
    case 400:
      return Code.Internal;
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 413:
      return Code.ResourceExhausted;
    case 404:
      return Code.Unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.Unavailable;
    default:
      return Code.Unknown;
  }
}

/** Decodes a request or response body; a malformed body is INVALID_ARGUMENT. */
export function decodeBody<D extends DescMessage>(schema: D, bytes: Uint8Array): MessageShape<D> {
  try {
    return fromBinary(schema, bytes);
  } catch (err) {
    throw new ConnectError(
      `failed to decode ${schema.typeName}: ${(err as Error).message}`,
      Code.InvalidArgument,
    );
  }
}
