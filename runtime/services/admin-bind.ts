// Where the admin listener may bind: loopback freely, anything else only with a bearer token.
import { isIP } from "node:net";

export const DEFAULT_ADMIN_PORT = 1311;

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1" || host === "[::1]") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

/** Why these admin settings may not start, or undefined when they may. */
export function adminBindProblem(host: string, token: string | undefined): string | undefined {
  if (isLoopback(host) || (token !== undefined && token !== "")) return undefined;
  return `the admin listener would bind ${host}, beyond localhost, without a token: set admin.token in the config or ANGZARR_ADMIN_TOKEN, or bind 127.0.0.1`;
}
