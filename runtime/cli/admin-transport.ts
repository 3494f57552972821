// The Connect transport of the operator commands (dlq, projection): the runtime's admin listener,
// with its bearer token when ANGZARR_ADMIN_TOKEN is set.
import type { Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";

export const DEFAULT_ADMIN_URL = "http://127.0.0.1:1311";

/** `--admin URL`, else ANGZARR_ADMIN_URL, else the default; `host:port` gets `http://`. */
export function adminTransport(flag: string | undefined, env = process.env): Transport {
  const given = flag ?? env.ANGZARR_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const baseUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(given) ? given : `http://${given}`;
  const token = env.ANGZARR_ADMIN_TOKEN;
  return createConnectTransport({
    baseUrl,
    httpVersion: "2",
    useBinaryFormat: true,
    ...(token
      ? {
          interceptors: [
            (next) => (req) => {
              req.header.set("authorization", `Bearer ${token}`);
              return next(req);
            },
          ],
        }
      : {}),
  });
}
