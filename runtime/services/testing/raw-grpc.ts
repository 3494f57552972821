// A bare gRPC unary call over node:http2, for tests that must see exactly what reaches the wire
// (trailers included) without a client library interpreting it.
import * as http2 from "node:http2";

export interface RawGrpcResult {
  headers: Record<string, string>;
  trailers: Record<string, string>;
  /** Response messages, unframed. */
  messages: Uint8Array[];
}

function flatten(headers: http2.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

function frame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt8(0, 0);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

function unframe(body: Buffer): Uint8Array[] {
  const messages: Uint8Array[] = [];
  let offset = 0;
  while (offset + 5 <= body.length) {
    const length = body.readUInt32BE(offset + 1);
    messages.push(new Uint8Array(body.subarray(offset + 5, offset + 5 + length)));
    offset += 5 + length;
  }
  return messages;
}

/** POSTs one framed message to `path` with content type application/grpc. */
export function rawGrpcUnary(baseUrl: string, path: string, message: Uint8Array): Promise<RawGrpcResult> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
    });
    let headers: Record<string, string> = {};
    let trailers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      headers = flatten(h);
    });
    stream.on("trailers", (t) => {
      trailers = flatten(t);
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", (err) => {
      session.close();
      reject(err);
    });
    stream.on("end", () => {
      session.close();
      resolve({ headers, trailers, messages: unframe(Buffer.concat(chunks)) });
    });
    stream.end(frame(message));
  });
}
