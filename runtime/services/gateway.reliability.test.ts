// Reliability rows of the gateway (`bun run test:reliability`; quick in `bun run test`): many
// writers on one aggregate, seeded fuzzed bodies on every protocol, payloads around the size
// limit, thousands of idle connections, and sustained load for a fixed time. The runtime is
// in-process behind a real TCP port with a synthetic echo aggregate on a SQLite file; every row
// checks what the store holds against what was acknowledged.
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as net from "node:net";
import { join } from "node:path";
import {
  AnyPayload,
  CommandBookSchema,
  CommandGateway,
  EventBookSchema,
  EventBooks,
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
  Uuid,
} from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { BytesValueSchema, StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { openStorage } from "../storage/open";
import { removeDir, tempDir } from "../testing/processes";
import { recordRow, scaled, seeded } from "../testing/reliability";
import { text } from "./testing/clients";
import { ECHO_DOMAIN, echoAggregate } from "./testing/echo-aggregate";
import { aggregateEntry, command, startTestRuntime, type TestRuntime } from "./testing/harness";
import { rawGrpcUnary } from "./testing/raw-grpc";

const LIMIT = 1024 * 1024;
let rt: TestRuntime;
let dir: string;

beforeAll(async () => {
  dir = tempDir("az-gw-rel-");
  const storage = await openStorage({ backend: "sqlite", path: join(dir, "store.db") });
  rt = await startTestRuntime([aggregateEntry(echoAggregate())], {
    storage,
    maxMessageBytes: LIMIT,
  });
});

afterAll(async () => {
  await rt.stop();
  removeDir(dir);
});

const stored = async (root: Uint8Array) =>
  (await rt.storage.events.get({ domain: ECHO_DOMAIN, edition: "", root })).map(
    (p) => AnyPayload.unpack(p.event, StringValueSchema).value,
  );

async function serving(runtime: TestRuntime = rt): Promise<boolean> {
  try {
    const res = await createClient(Health, runtime.connectHttp1()).check({ service: "" });
    return res.status === ServingStatus.SERVING;
  } catch {
    return false;
  }
}

/** Commands with a retry on ABORTED (the detail says where the aggregate stands). */
async function write(
  client: ReturnType<typeof createClient<typeof CommandGateway>>,
  root: Uint8Array,
  value: string,
  counts: { wrong: number; acked: Set<string>; examples?: string[] },
  hint: { next: number },
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await client.execute(command(ECHO_DOMAIN, root, StringValueSchema, text(value), hint.next));
      hint.next = EventBooks.nextSequence(res.events);
      counts.acked.add(value);
      return;
    } catch (err) {
      const e = ConnectError.from(err);
      const told = e.findDetails(EventBookSchema)[0];
      if (e.code === Code.Aborted) {
        hint.next = told ? EventBooks.nextSequence(told) : hint.next + 1;
        // As a client should: back off a little, with jitter, so contenders take turns.
        await Bun.sleep(Math.random() * Math.min(50, 2 + attempt * 2));
        continue;
      }
      counts.wrong++;
      if (counts.examples && counts.examples.length < 5)
        counts.examples.push(`${Code[e.code]}: ${e.rawMessage}`);
      return;
    }
  }
}

test("64 concurrent writers on one aggregate", async () => {
  const perWriter = scaled(3, 20);
  const root = Uuid.randomBytes();
  const counts = { wrong: 0, acked: new Set<string>(), examples: [] as string[] };
  const transports: (() => Transport)[] = [() => rt.connect(), () => rt.connectHttp1()];
  await Promise.all(
    Array.from({ length: 64 }, async (_, w) => {
      const client = createClient(CommandGateway, (transports[w % 2] as () => Transport)());
      const hint = { next: 0 };
      for (let i = 0; i < perWriter; i++) await write(client, root, `w${w}-${i}`, counts, hint);
    }),
  );
  const values = await stored(root);
  const lost = [...counts.acked].filter((v) => !values.includes(v)).length;
  const doubled = values.length - new Set(values).size + values.filter((v) => !counts.acked.has(v)).length;
  const row = {
    scenario: "64 concurrent writers on one aggregate (ABORTED → retry from the detail)",
    tried: 64 * perWriter,
    lost,
    doubled,
    wrongCodes: counts.wrong,
  };
  recordRow(row);
  expect(counts.examples).toEqual([]);
  expect(row).toMatchObject({ lost: 0, doubled: 0, wrongCodes: 0 });
  expect(values.length).toBe(64 * perWriter);
}, 600_000);

test("seeded fuzzed protobuf, gRPC and Connect JSON bodies", async () => {
  const cases = scaled(600, 10_000);
  const random = seeded(15);
  const valid = toBinary(
    CommandBookSchema,
    command(ECHO_DOMAIN, Uuid.randomBytes(), StringValueSchema, text("seed")),
  );
  const byte = () => Math.floor(random() * 256);
  const body = (): Uint8Array => {
    const kind = random();
    if (kind < 0.3) return Uint8Array.from({ length: Math.floor(random() * 64) }, byte);
    const mutated = Uint8Array.from(valid);
    const flips = 1 + Math.floor(random() * 4);
    for (let i = 0; i < flips; i++) mutated[Math.floor(random() * mutated.length)] = byte();
    return kind < 0.8 ? mutated : mutated.subarray(0, Math.floor(random() * mutated.length));
  };
  const jsonBody = (): string => {
    const pick = random();
    const domain = pick < 0.2 ? "x".repeat(Math.floor(random() * 3000)) : ECHO_DOMAIN;
    const type =
      pick < 0.5 ? "type.googleapis.com/google.protobuf.StringValue" : `type.googleapis.com/n${byte()}.T`;
    const doc = JSON.stringify({
      cover: { domain, root: { value: Buffer.from(Uuid.randomBytes()).toString("base64") } },
      pages: [{ sequence: Math.floor(random() * 3), command: { "@type": type, value: `v${byte()}` } }],
    });
    return random() < 0.3 ? doc.slice(0, Math.floor(random() * doc.length)) : doc;
  };
  // What a bad request may answer: never INTERNAL, UNKNOWN or a dropped connection.
  const allowed = new Set([
    Code.InvalidArgument,
    Code.NotFound,
    Code.Aborted,
    Code.FailedPrecondition,
    Code.ResourceExhausted,
  ]);
  const connectCodes: Record<string, Code> = {
    invalid_argument: Code.InvalidArgument,
    not_found: Code.NotFound,
    aborted: Code.Aborted,
    failed_precondition: Code.FailedPrecondition,
    resource_exhausted: Code.ResourceExhausted,
  };
  let wrong = 0;
  const examples: string[] = [];
  const path = "/angzarr.CommandGateway/Execute";
  for (let i = 0; i < cases; i++) {
    const protocol = i % 3;
    let code: Code | "ok" | "dropped";
    try {
      if (protocol === 0) {
        const raw = await rawGrpcUnary(rt.url, path, body());
        const status = Number(raw.trailers["grpc-status"] ?? raw.headers["grpc-status"] ?? -1);
        code = status === 0 ? "ok" : (status as Code);
      } else {
        const json = protocol === 2;
        const res = await fetch(`${rt.url}${path}`, {
          method: "POST",
          headers: { "content-type": json ? "application/json" : "application/proto" },
          body: json ? jsonBody() : body(),
        });
        if (res.status === 200) code = "ok";
        else {
          const err = (await res.json()) as { code?: string };
          code = connectCodes[err.code ?? ""] ?? Code.Unknown;
        }
      }
    } catch {
      code = "dropped";
    }
    if (code !== "ok" && !(typeof code === "number" && allowed.has(code))) {
      wrong++;
      if (examples.length < 5) examples.push(`case ${i}: ${typeof code === "number" ? Code[code] : code}`);
    }
  }
  const alive = await serving();
  const row = {
    scenario: "seeded fuzzed bodies: protobuf over gRPC and Connect, Connect JSON",
    tried: cases,
    lost: 0,
    doubled: 0,
    crashes: alive ? 0 : 1,
    wrongCodes: wrong,
  };
  recordRow(row);
  expect(examples).toEqual([]);
  expect(row).toMatchObject({ crashes: 0, wrongCodes: 0 });
}, 600_000);

test("payloads at and around the message size limit", async () => {
  const rounds = scaled(2, 10);
  const margin = 64; // the book's own fields around the payload
  const sizes = [LIMIT / 2, LIMIT - margin, LIMIT + 1, LIMIT * 2, LIMIT * 8];
  let wrong = 0;
  let tried = 0;
  let lost = 0;
  const path = "/angzarr.CommandGateway/Execute";
  for (let r = 0; r < rounds; r++) {
    for (const size of sizes) {
      const root = Uuid.randomBytes();
      const payload = new Uint8Array(Math.max(0, size - margin)).fill(r);
      const book = command(ECHO_DOMAIN, root, BytesValueSchema, create(BytesValueSchema, { value: payload }));
      const bytes = toBinary(CommandBookSchema, book);
      const fits = bytes.byteLength <= LIMIT;
      for (const protocol of ["grpc", "connect-h1", "connect-h2"] as const) {
        tried++;
        let code: Code | "ok";
        if (protocol === "grpc") {
          const raw = await rawGrpcUnary(rt.url, path, bytes);
          const status = Number(raw.trailers["grpc-status"] ?? raw.headers["grpc-status"] ?? -1);
          code = status === 0 ? "ok" : (status as Code);
        } else {
          try {
            const client = createClient(
              CommandGateway,
              protocol === "connect-h1" ? rt.connectHttp1() : rt.connect(),
            );
            await client.execute(book);
            code = "ok";
          } catch (err) {
            code = ConnectError.from(err).code;
          }
        }
        // The first protocol creates the aggregate; the next ones meet its sequence (ABORTED).
        const expected: (Code | "ok")[] = fits ? ["ok", Code.Aborted] : [Code.ResourceExhausted];
        if (!expected.includes(code)) {
          wrong++;
          if (process.env.SHOW_WRONG) console.log(protocol, size, code);
        }
      }
      const held = (await rt.storage.events.get({ domain: ECHO_DOMAIN, edition: "", root })).length;
      if (fits && held !== 1) lost++;
      if (!fits && held !== 0) wrong++;
    }
  }
  const row = {
    scenario: `payloads around the ${LIMIT / 1024} KiB limit (½×, just under, +1 byte, 2×, 8×) on 3 protocols`,
    tried,
    lost,
    doubled: 0,
    wrongCodes: wrong,
  };
  recordRow(row);
  expect(row).toMatchObject({ lost: 0, wrongCodes: 0 });
}, 600_000);

test("thousands of idle connections: service goes on, all closed after the idle timeout", async () => {
  const count = scaled(300, 2_000);
  const idle = await startTestRuntime([aggregateEntry(echoAggregate())], {
    idleTimeoutMs: 1_000,
    maxConnectionsPerClient: 5_000,
  });
  const sockets: net.Socket[] = [];
  const closed: Promise<void>[] = [];
  const open = (i: number) =>
    new Promise<void>((resolve) => {
      const socket = net.connect(idle.gateway.port, "127.0.0.1");
      socket.on("error", () => resolve());
      socket.on("data", () => {});
      const gone = new Promise<void>((done) => socket.once("close", () => done()));
      socket.once("connect", () => {
        sockets.push(socket);
        closed.push(gone);
        // A third send an HTTP/2 preface only, a third half an HTTP/1.1 request, a third nothing.
        if (i % 3 === 0) socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        else if (i % 3 === 1) socket.write("POST / HTTP/1.1\r\nHost: x\r\n");
        resolve();
      });
    });
  // In batches, as clients arrive (a burst of thousands overflows any listen backlog).
  for (let i = 0; i < count; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, k) => open(i + k)));
  }
  const connected = sockets.length;
  // Meanwhile, real clients still get answers.
  const root = Uuid.randomBytes();
  const counts = { wrong: 0, acked: new Set<string>() };
  const hint = { next: 0 };
  const client = createClient(CommandGateway, idle.connectHttp1());
  for (let i = 0; i < 20; i++) await write(client, root, `during-${i}`, counts, hint);
  const all = Promise.all(closed).then(() => true);
  const allClosed = await Promise.race([all, Bun.sleep(60_000).then(() => false)]);
  for (const s of sockets) s.destroy();
  const values = (await idle.storage.events.get({ domain: ECHO_DOMAIN, edition: "", root })).map(
    (p) => AnyPayload.unpack(p.event, StringValueSchema).value,
  );
  const row = {
    scenario: `${count} idle connections (bare preface, half a header, silence) while clients write`,
    tried: connected,
    lost: [...counts.acked].filter((v) => !values.includes(v)).length,
    doubled: values.length - new Set(values).size,
    crashes: (await serving(idle)) ? 0 : 1,
    wrongCodes: counts.wrong + (allClosed ? 0 : 1),
  };
  await idle.stop();
  recordRow(row);
  expect(row).toMatchObject({ lost: 0, doubled: 0, crashes: 0, wrongCodes: 0 });
}, 600_000);

test("sustained load for a fixed time", async () => {
  const seconds = scaled(3, 60);
  const writers = 16;
  const until = Date.now() + seconds * 1_000;
  const counts = { wrong: 0, acked: new Set<string>() };
  const roots = Array.from({ length: writers }, () => Uuid.randomBytes());
  let tried = 0;
  await Promise.all(
    roots.map(async (root, w) => {
      const client = createClient(CommandGateway, w % 2 === 0 ? rt.connect() : rt.connectHttp1());
      const hint = { next: 0 };
      for (let i = 0; Date.now() < until; i++) {
        tried++;
        await write(client, root, `s${w}-${i}`, counts, hint);
      }
    }),
  );
  let lost = 0;
  let doubled = 0;
  let held = 0;
  for (const root of roots) {
    const values = await stored(root);
    held += values.length;
    doubled += values.length - new Set(values).size;
  }
  for (const [w, root] of roots.entries()) {
    const values = new Set(await stored(root));
    for (const v of counts.acked) if (v.startsWith(`s${w}-`) && !values.has(v)) lost++;
  }
  const row = {
    scenario: `sustained load: ${writers} writers for ${seconds} s (${held} events)`,
    tried,
    lost,
    doubled,
    crashes: (await serving()) ? 0 : 1,
    wrongCodes: counts.wrong,
  };
  recordRow(row);
  expect(row).toMatchObject({ lost: 0, doubled: 0, crashes: 0, wrongCodes: 0 });
}, 600_000);
