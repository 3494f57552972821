// One lean hop alone, in this process: a listener (listener.ts, the lean HTTP/1.1 loop) serving
// CommandGateway.Execute forwarded as bytes (forwarded-execute.ts) to a forwarder that answers a
// fixed encoded CommandResponse at once, as a distributed gateway does minus the role behind it.
// 64 clients from a separate process (fixtures/gateway-load.ts, `fetch`); prints this process's
// CPU µs per call over the timed run, with the load average. What the distributed gateway and an
// aggregate role spend per call on the loop, the Connect plumbing and the answer, with no other
// process's noise in the figure: `bun bench/lean-hop.ts [CALLS_PER_CLIENT] [WARM_UP] [ROUNDS]`.
import { readFileSync } from "node:fs";
import { CommandGateway, CommandResponseSchema, EventBookSchema } from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { log } from "../runtime/observability/log";
import { forwardedExecute } from "../runtime/services/forwarded-execute";
import { leanUnary } from "../runtime/services/lean-unary";
import { startListener } from "../runtime/services/listener";
import { gatewayLoad } from "./commands-gateway.bench";

const [perClient = 2_000, warmUp = 500, rounds = 3] = process.argv.slice(2).map(Number);
const CLIENTS = 64;
const answer = toBinary(
  CommandResponseSchema,
  create(CommandResponseSchema, { events: create(EventBookSchema, { cover: { domain: "counter" } }) }),
);
const execute = async () => create(CommandResponseSchema, { events: { cover: { domain: "counter" } } });
const listener = await startListener({
  name: "lean-hop",
  port: 0,
  host: "127.0.0.1",
  maxMessageBytes: 4 * 1024 * 1024,
  shutdownGraceMs: 100,
  log,
  routes: (router: ConnectRouter) => router.service(CommandGateway, { execute }),
  lean: (connect) =>
    new Map([
      [
        `/${CommandGateway.typeName}/${CommandGateway.method.execute.name}`,
        forwardedExecute(
          leanUnary(CommandGateway, CommandGateway.method.execute, execute, connect),
          { serves: () => true, execute: async () => answer },
          connect,
          log,
        ),
      ],
    ]),
});
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
try {
  for (let round = 0; round < rounds; round++) {
    let from: NodeJS.CpuUsage | undefined;
    let used: NodeJS.CpuUsage | undefined;
    const before = load();
    const result = await gatewayLoad(
      listener.url,
      CLIENTS,
      perClient,
      warmUp,
      () => {
        from = process.cpuUsage();
      },
      () => {
        used = process.cpuUsage(from);
      },
    );
    const cpu = used ? used.user + used.system : 0;
    console.log(
      JSON.stringify({
        load: `${before} -> ${load()}`,
        callsPerS: Math.round(result.commands / (result.ms / 1000)),
        cpuUsPerCall: Number((cpu / result.commands).toFixed(1)),
        systemShare: used ? Number((used.system / cpu).toFixed(2)) : 0,
      }),
    );
  }
} finally {
  await listener.stop();
}
