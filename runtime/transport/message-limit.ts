// The one message limit (config `maxMessageBytes`): the gateway, the admin listener and the
// distributed roles take requests up to it, the coordinator sends handler programs requests up to
// it (history and command together), and the programs are told to accept as much
// (ANGZARR_MAX_MESSAGE_BYTES). A request over it is RESOURCE_EXHAUSTED naming the limit, at once.
import { bodyLength, isStreamed, type RpcClient, type StreamedBody } from "@angzarr/sdk";
import { Code, ConnectError } from "@connectrpc/connect";

/** Default of `maxMessageBytes`: 64 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** The environment variable handler programs read the limit from. */
export const MESSAGE_LIMIT_ENV = "ANGZARR_MAX_MESSAGE_BYTES";

/** RESOURCE_EXHAUSTED for a message of `size` bytes over `limit`. */
export function overLimit(what: string, size: number, limit: number): ConnectError {
  return new ConnectError(
    `${what} is ${size} bytes, over the message limit of ${limit} bytes (maxMessageBytes)`,
    Code.ResourceExhausted,
  );
}

/** A streamed body that fails (RESOURCE_EXHAUSTED) as soon as what it made passes the limit. */
function limitedStream(body: StreamedBody, limit: number, what: string): StreamedBody {
  return {
    async *parts() {
      let size = 0;
      for await (const piece of body.parts()) {
        for (const b of piece) size += b.length;
        if (size > limit) throw overLimit(what, size, limit);
        yield piece;
      }
    },
  };
}

/**
 * A client that refuses to send a request over the limit (RESOURCE_EXHAUSTED at once, before any
 * byte goes out), so a program's own refusal (an HTTP 413 without a status) is never what the
 * client hears. A streamed request is cut off (never completed) when it passes the limit.
 */
export function limitedRpc(client: RpcClient, limit: number, program: string): RpcClient {
  return {
    address: client.address,
    raw(path, body, options) {
      const what = `the request to ${program} (${path})`;
      if (isStreamed(body)) return client.raw(path, limitedStream(body, limit, what), options);
      const size = bodyLength(body);
      if (size > limit) {
        return Promise.reject(overLimit(what, size, limit));
      }
      return client.raw(path, body, options);
    },
  };
}
