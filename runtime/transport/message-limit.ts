// The one message limit (config `maxMessageBytes`): the gateway, the admin listener and the
// distributed roles take requests up to it, the coordinator sends handler programs requests up to
// it (history and command together), and the programs are told to accept as much
// (ANGZARR_MAX_MESSAGE_BYTES). A request over it is RESOURCE_EXHAUSTED naming the limit, at once.
import { bodyLength, type RpcClient } from "@angzarr/sdk";
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

/**
 * A client that refuses to send a request over the limit (RESOURCE_EXHAUSTED at once, before any
 * byte goes out), so a program's own refusal (an HTTP 413 without a status) is never what the
 * client hears.
 */
export function limitedRpc(client: RpcClient, limit: number, program: string): RpcClient {
  return {
    address: client.address,
    raw(path, body, options) {
      const size = bodyLength(body);
      if (size > limit) {
        return Promise.reject(overLimit(`the request to ${program} (${path})`, size, limit));
      }
      return client.raw(path, body, options);
    },
  };
}
