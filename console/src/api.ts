// The console's only way into the runtime: Connect clients (binary format) on the page's origin.
// A bearer token, when the admin listener asks for one, is kept for the tab's life only.

import { EditionService } from "@angzarr/proto/gen/angzarr/edition_pb.ts";
import { DeadLetterService } from "@angzarr/proto/gen/angzarr/ext/dead_letter_pb.ts";
import { InspectionService } from "@angzarr/proto/gen/angzarr/ext/inspection_pb.ts";
import { ProjectionService } from "@angzarr/proto/gen/angzarr/ext/projection_pb.ts";
import { CommandGateway, EventStream } from "@angzarr/proto/gen/angzarr/gateway_pb.ts";
import { EventQuery } from "@angzarr/proto/gen/angzarr/query_pb.ts";
import { SpeculativeService } from "@angzarr/proto/gen/angzarr/speculative_pb.ts";
import { Health } from "@angzarr/proto/gen/health/v1/health_pb.ts";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";

const TOKEN_KEY = "angzarr.console.token";

export function token(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

export function setToken(value: string): void {
  if (value === "") sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, value);
}

const bearer: Interceptor = (next) => (req) => {
  const t = token();
  if (t !== "") req.header.set("authorization", `Bearer ${t}`);
  return next(req);
};

const transport = createConnectTransport({
  baseUrl: location.origin,
  useBinaryFormat: true,
  interceptors: [bearer],
});

export const api = {
  query: createClient(EventQuery, transport),
  stream: createClient(EventStream, transport),
  gateway: createClient(CommandGateway, transport),
  editions: createClient(EditionService, transport),
  speculate: createClient(SpeculativeService, transport),
  deadLetters: createClient(DeadLetterService, transport),
  projections: createClient(ProjectionService, transport),
  inspect: createClient(InspectionService, transport),
  health: createClient(Health, transport),
};

/** One line for a failed call: `[CODE] message`, with a hint where the runtime lacks the RPC. */
export function describeError(err: unknown): string {
  const e = ConnectError.from(err);
  const hint =
    e.code === Code.Unimplemented
      ? " (this runtime does not serve that RPC)"
      : e.code === Code.Unauthenticated
        ? " (set the admin token in the header)"
        : "";
  return `[${Code[e.code]}] ${e.rawMessage}${hint}`;
}
