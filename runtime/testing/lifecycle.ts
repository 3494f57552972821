// One business flow through the synthetic system (running-runtime.ts): a client command on `src`
// that the saga turns into a `ledger` command, the process manager into a `watch` event and a
// `ledger` command, and the projector into a read-model row; waits until all of it is stored.
import { CommandGateway, type EventBook, EventQuery, QuerySchema, Uuid } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { type CallOptions, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { text } from "../services/testing/clients";
import { command } from "../services/testing/harness";
import { LEDGER, SOURCE } from "./fixtures/reactive-components";
import { waitFor } from "./processes";

export function gatewayTransport(url: string): Transport {
  return createConnectTransport({ baseUrl: url, httpVersion: "1.1", useBinaryFormat: true });
}

export interface Lifecycle {
  root: Uint8Array;
  correlationId: string;
  /** The ledger's book for the same root once the saga and the PM wrote into it. */
  ledger: EventBook;
}

/** Runs the flow; `callOptions` go with the client's command (e.g. a traceparent header). */
export async function runLifecycle(url: string, callOptions: CallOptions = {}): Promise<Lifecycle> {
  const transport = gatewayTransport(url);
  const gateway = createClient(CommandGateway, transport);
  const query = createClient(EventQuery, transport);
  const root = Uuid.randomBytes();
  const correlationId = `flow-${crypto.randomUUID()}`;
  await gateway.execute(
    command(SOURCE, root, StringValueSchema, text("opened"), 0, correlationId),
    callOptions,
  );
  let ledger: EventBook | undefined;
  await waitFor(
    "the saga's and the PM's ledger events",
    async () => {
      ledger = await query.getEventBook(
        create(QuerySchema, { cover: { domain: LEDGER, root: { value: root } } }),
      );
      return ledger.pages.length >= 2;
    },
    30_000,
  );
  return { root, correlationId, ledger: ledger as EventBook };
}
