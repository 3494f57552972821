// The gateway over real TCP sockets: an in-process runtime (memory storage, in-process bus, the
// aggregate pipeline) with a synthetic echo aggregate, driven by Connect (HTTP/2 and HTTP/1.1),
// connect-es gRPC and a bare HTTP/2 gRPC client that shows the raw trailers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  AggregateCoordinator,
  AnyPayload,
  CommandBookSchema,
  CommandBooks,
  CommandGateway,
  CommandPageSchema,
  Covers,
  DryRunRequestSchema,
  EventBookSchema,
  EventBooks,
  EventQuery,
  EventStream,
  Health,
  RevokeEventCommandSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
  SpeculativeService,
  SyncCommandBookSchema,
  SyncMode,
  TemporalQuerySchema,
  Timestamps,
  Uuid,
} from "@angzarr/proto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { base64Decode } from "@bufbuild/protobuf/wire";
import { AnySchema, BytesValueSchema, StringValueSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { Code, collect, failure, sequences, text, V5_TEXT } from "./testing/clients";
import { ECHO_DOMAIN, echoAggregate } from "./testing/echo-aggregate";
import { aggregateEntry, command, startTestRuntime, type TestRuntime } from "./testing/harness";
import { rawGrpcUnary } from "./testing/raw-grpc";

let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime([aggregateEntry(echoAggregate())], { streamIdleMs: 300 });
});

afterAll(async () => {
  await rt.stop();
});

const echo = (root: Uint8Array, value: string, sequence = 0, correlationId = "") =>
  command(ECHO_DOMAIN, root, StringValueSchema, text(value), sequence, correlationId);

describe("CommandGateway.Execute", () => {
  test("persists and returns the events, assigning a v5 correlation id when missing", async () => {
    const gateway = createClient(CommandGateway, rt.connect());
    const root = Uuid.randomBytes();
    const request = echo(root, "hello");
    const response = await gateway.execute(request);
    const book = response.events;
    expect(sequences(book)).toEqual([0]);
    expect(book?.cover?.correlationId).toMatch(V5_TEXT);
    expect(book?.cover?.correlationId).toBe(CommandBooks.deriveCorrelationId(request));
    expect(book?.pages[0]?.createdAt).toBeDefined();
    const stored = await rt.storage.events.get({ domain: ECHO_DOMAIN, edition: "", root });
    expect(stored.length).toBe(1);
    expect(fromBinary(StringValueSchema, stored[0]?.event?.value ?? new Uint8Array()).value).toBe("hello");
    const again = await gateway.execute(echo(root, "twice:x", 1, "corr-explicit"));
    expect(sequences(again.events)).toEqual([1, 2]);
    expect(again.events?.cover?.correlationId).toBe("corr-explicit");
  });

  test("works for gRPC and HTTP/1.1 Connect clients on the same port", async () => {
    const root = Uuid.randomBytes();
    const viaGrpc = await createClient(CommandGateway, rt.grpc()).execute(echo(root, "a"));
    expect(sequences(viaGrpc.events)).toEqual([0]);
    const viaHttp1 = await createClient(CommandGateway, rt.connectHttp1()).execute(echo(root, "b", 1));
    expect(sequences(viaHttp1.events)).toEqual([1]);
    const grpcWeb = createGrpcWebTransport({ baseUrl: rt.url, httpVersion: "1.1" });
    const viaGrpcWeb = await createClient(CommandGateway, grpcWeb).execute(echo(root, "c", 2));
    expect(sequences(viaGrpcWeb.events)).toEqual([2]);
    const streamedHttp1 = await collect(
      createClient(EventQuery, rt.connectHttp1()).getEvents({
        cover: Covers.make({ domain: ECHO_DOMAIN, root }),
      }),
    );
    expect(streamedHttp1.map(sequences)).toEqual([[0, 1, 2]]);
  });

  test("stale sequence → ABORTED with the current EventBook as a Connect error detail", async () => {
    const gateway = createClient(CommandGateway, rt.connect());
    const root = Uuid.randomBytes();
    await gateway.execute(echo(root, "one"));
    await gateway.execute(echo(root, "two", 1));
    for (const transport of [rt.connect(), rt.connectHttp1()]) {
      const err = await failure(() =>
        createClient(CommandGateway, transport).execute(echo(root, "stale", 1)),
      );
      expect(err.code).toBe(Code.Aborted);
      expect(err.rawMessage).toBe("Sequence mismatch: command expects 1, aggregate at 2");
      const [current] = err.findDetails(EventBookSchema);
      expect(current?.cover?.domain).toBe(ECHO_DOMAIN);
      expect(EventBooks.nextSequence(current)).toBe(2);
    }
  });

  test("stale sequence over gRPC → raw EventBook bytes in grpc-status-details-bin", async () => {
    const gateway = createClient(CommandGateway, rt.connect());
    const root = Uuid.randomBytes();
    await gateway.execute(echo(root, "one"));
    const raw = await rawGrpcUnary(
      rt.url,
      "/angzarr.CommandGateway/Execute",
      toBinary(CommandBookSchema, echo(root, "stale", 0)),
    );
    expect(raw.headers["content-type"]).toStartWith("application/grpc");
    expect(raw.trailers["grpc-status"]).toBe(String(Code.Aborted));
    expect(decodeURIComponent(raw.trailers["grpc-message"] ?? "")).toBe(
      "Sequence mismatch: command expects 0, aggregate at 1",
    );
    const bin = raw.trailers["grpc-status-details-bin"];
    expect(bin).toBeDefined();
    const current = fromBinary(EventBookSchema, base64Decode(bin ?? ""));
    expect(Uuid.toText(current.cover?.root?.value ?? new Uint8Array())).toBe(Uuid.toText(root));
    expect(EventBooks.nextSequence(current)).toBe(1);
  });

  test("connect-es gRPC clients cannot read the reference trailer shape (documented limitation)", async () => {
    const root = Uuid.randomBytes();
    await createClient(CommandGateway, rt.connect()).execute(echo(root, "one"));
    const err = await failure(() => createClient(CommandGateway, rt.grpc()).execute(echo(root, "stale")));
    // connect-es parses grpc-status-details-bin as google.rpc.Status and reports DATA_LOSS.
    expect(err.code).toBe(Code.DataLoss);
  });

  test("8 concurrent clients on one aggregate: exactly one event per sequence", async () => {
    const root = Uuid.randomBytes();
    const perClient = 5;
    const clients = Array.from({ length: 8 }, (_, i) =>
      createClient(CommandGateway, i % 2 === 0 ? rt.connect() : rt.connectHttp1()),
    );
    let aborts = 0;
    const won: number[] = [];
    await Promise.all(
      clients.map(async (client, c) => {
        let next = 0;
        for (let done = 0; done < perClient; ) {
          try {
            const response = await client.execute(echo(root, `c${c}-${done}`, next));
            won.push(...sequences(response.events));
            next = EventBooks.nextSequence(response.events);
            done++;
          } catch (err) {
            const e = await failure(() => Promise.reject(err));
            expect(e.code).toBe(Code.Aborted);
            aborts++;
            const [current] = e.findDetails(EventBookSchema);
            if (current) next = EventBooks.nextSequence(current);
          }
        }
      }),
    );
    const total = 8 * perClient;
    expect(won.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
    const stored = await rt.storage.events.get({ domain: ECHO_DOMAIN, edition: "", root });
    expect(sequences(create(EventBookSchema, { pages: stored }))).toEqual(
      Array.from({ length: total }, (_, i) => i),
    );
    expect(aborts).toBeGreaterThan(0);
  });

  test("garbage payload → INVALID_ARGUMENT; undecodable request body → INVALID_ARGUMENT on every protocol", async () => {
    const gateway = createClient(CommandGateway, rt.connect());
    const garbage = CommandBooks.make(
      Covers.make({ domain: ECHO_DOMAIN, root: Uuid.randomBytes() }),
      create(AnySchema, {
        typeUrl: "type.googleapis.com/google.protobuf.StringValue",
        value: new Uint8Array([0x0a, 0xff, 0xff, 0xff]),
      }),
    );
    const err = await failure(() => gateway.execute(garbage));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toStartWith("failed to decode google.protobuf.StringValue");

    // A request body that is not protobuf: the caller's mistake, naming what failed to decode
    // (connect-es itself would say INTERNAL `parse binary: ...`).
    const body = new Uint8Array([0x0a, 0xff]);
    const raw = await rawGrpcUnary(rt.url, "/angzarr.CommandGateway/Execute", body);
    expect(raw.trailers["grpc-status"]).toBe(String(Code.InvalidArgument));
    expect(decodeURIComponent(raw.trailers["grpc-message"] ?? "")).toStartWith(
      "cannot decode the request as angzarr.CommandBook: ",
    );
    const connect = await fetch(`${rt.url}/angzarr.CommandGateway/Execute`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body,
    });
    expect(connect.status).toBe(400);
    const json = (await connect.json()) as { code: string; message: string };
    expect(json.code).toBe("invalid_argument");
    expect(json.message).toStartWith("cannot decode the request as angzarr.CommandBook: ");
  });

  test("Connect JSON: commands packed as any known type; an unknown type URL is INVALID_ARGUMENT naming it", async () => {
    const post = (typeUrl: string) =>
      fetch(`${rt.url}/angzarr.CommandGateway/Execute`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          cover: { domain: ECHO_DOMAIN, root: { value: Buffer.from(Uuid.randomBytes()).toString("base64") } },
          pages: [{ sequence: 0, command: { "@type": typeUrl, value: "json hello" } }],
        }),
      });
    const ok = await post("type.googleapis.com/google.protobuf.StringValue");
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { events: { pages: { event: { value: string } }[] } };
    expect(body.events.pages[0]?.event.value).toBe("json hello");
    const unknown = await post("type.googleapis.com/nowhere.Nothing");
    expect(unknown.status).toBe(400);
    const err = (await unknown.json()) as { code: string; message: string };
    expect(err.code).toBe("invalid_argument");
    expect(err.message).toContain("type.googleapis.com/nowhere.Nothing");
  });

  test("names: a domain outside the name rule is INVALID_ARGUMENT; echoed values are cut to 128 characters", async () => {
    const long = "d".repeat(10_000);
    for (const transport of [rt.connect(), rt.grpc()]) {
      const gateway = createClient(CommandGateway, transport);
      const err = await failure(() =>
        gateway.execute(command(long, Uuid.randomBytes(), StringValueSchema, text("x"))),
      );
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toStartWith(`Invalid domain name "${"d".repeat(128)}..."`);
      expect(err.rawMessage.length).toBeLessThan(400);
      const odd = await failure(() =>
        gateway.execute(command("../x y", Uuid.randomBytes(), StringValueSchema, text("x"))),
      );
      expect(odd.code).toBe(Code.InvalidArgument);
      expect(odd.rawMessage).toStartWith('Invalid domain name "../x y"');
    }
    const coordinator = createClient(AggregateCoordinator, rt.grpc());
    const viaCoordinator = await failure(() =>
      coordinator.handle(command(long, Uuid.randomBytes(), StringValueSchema, text("x"))),
    );
    expect(viaCoordinator.code).toBe(Code.InvalidArgument);
    const query = await failure(() =>
      createClient(EventQuery, rt.grpc()).getEventBook({
        cover: Covers.make({ domain: long, root: Uuid.randomBytes() }),
      }),
    );
    expect(query.code).toBe(Code.NotFound);
    expect(query.rawMessage.length).toBeLessThan(400);
  });

  test("a client cannot send RevokeEventCommand: INVALID_ARGUMENT, nothing stored", async () => {
    const root = Uuid.randomBytes();
    const revoke = CommandBooks.make(
      Covers.make({ domain: ECHO_DOMAIN, root }),
      AnyPayload.pack(RevokeEventCommandSchema, create(RevokeEventCommandSchema, { sagaName: "forged" })),
    );
    for (const transport of [rt.connect(), rt.grpc()]) {
      for (const call of [
        () => createClient(CommandGateway, transport).execute(revoke),
        () => createClient(AggregateCoordinator, transport).handle(revoke),
      ]) {
        const err = await failure(call);
        expect(err.code).toBe(Code.InvalidArgument);
        expect(err.rawMessage).toContain("RevokeEventCommand is sent only by the runtime");
      }
    }
    expect(await rt.storage.events.get({ domain: ECHO_DOMAIN, edition: "", root })).toEqual([]);
  });

  test("unknown domain → NOT_FOUND (gateway and coordinator wording)", async () => {
    const book = command("nope", Uuid.randomBytes(), StringValueSchema, text("x"));
    const viaGateway = await failure(() => createClient(CommandGateway, rt.connect()).execute(book));
    expect(viaGateway.code).toBe(Code.NotFound);
    expect(viaGateway.rawMessage).toBe("No service registered for domain: nope");
    const viaCoordinator = await failure(() => createClient(AggregateCoordinator, rt.grpc()).handle(book));
    expect(viaCoordinator.code).toBe(Code.NotFound);
    expect(viaCoordinator.rawMessage).toBe("No handler registered for domain: nope");
  });

  test("validation messages and handler rejections pass through", async () => {
    const gateway = createClient(CommandGateway, rt.connect());
    const noCover = await failure(() => gateway.execute(create(CommandBookSchema, { pages: [] })));
    expect([noCover.code, noCover.rawMessage]).toEqual([
      Code.InvalidArgument,
      "CommandBook must have a cover",
    ]);
    const noRoot = await failure(() =>
      gateway.execute(
        create(CommandBookSchema, {
          cover: { domain: ECHO_DOMAIN },
          pages: [create(CommandPageSchema, { sequence: 0 })],
        }),
      ),
    );
    expect([noRoot.code, noRoot.rawMessage]).toEqual([Code.InvalidArgument, "Cover must have a root UUID"]);
    const noCommand = await failure(() => gateway.executeSync(create(SyncCommandBookSchema)));
    expect([noCommand.code, noCommand.rawMessage]).toEqual([
      Code.InvalidArgument,
      "SyncCommandBook must have a command",
    ]);
    const rejected = await failure(() => gateway.execute(echo(Uuid.randomBytes(), "reject:not today")));
    expect([rejected.code, rejected.rawMessage]).toEqual([Code.FailedPrecondition, "not today"]);
  });

  test("ExecuteSync honours sync modes; unknown numbers read as SIMPLE", async () => {
    const gateway = createClient(CommandGateway, rt.grpc());
    const root = Uuid.randomBytes();
    const simple = await gateway.executeSync({ command: echo(root, "s"), syncMode: SyncMode.SIMPLE });
    expect(sequences(simple.events)).toEqual([0]);
    const unknown = await gateway.executeSync({ command: echo(root, "u", 1), syncMode: 99 as SyncMode });
    expect(sequences(unknown.events)).toEqual([1]);
  });

  test("messages of 17 MiB pass both ways", async () => {
    const big = new Uint8Array(17 * 1024 * 1024).fill(7);
    const root = Uuid.randomBytes();
    const book = command(ECHO_DOMAIN, root, BytesValueSchema, create(BytesValueSchema, { value: big }));
    const response = await createClient(CommandGateway, rt.connect()).execute(book);
    const event = response.events?.pages[0]?.event;
    expect(fromBinary(BytesValueSchema, event?.value ?? new Uint8Array()).value.length).toBe(big.length);
    const read = await createClient(EventQuery, rt.grpc()).getEventBook({
      cover: Covers.make({ domain: ECHO_DOMAIN, root }),
    });
    expect(read.pages[0]?.event?.value.length).toBeGreaterThan(big.length);
  });
});

describe("CommandGateway.ExecuteStream", () => {
  test("yields the command's events, then later books with its correlation id, once each", async () => {
    const gateway = createClient(CommandGateway, rt.connect());
    const root = Uuid.randomBytes();
    const other = Uuid.randomBytes();
    const started = Date.now();
    const received: ReturnType<typeof sequences>[] = [];
    const domains: string[] = [];
    let follow: Promise<unknown> | undefined;
    for await (const book of gateway.executeStream(echo(root, "twice:go", 0, "corr-stream"))) {
      received.push(sequences(book));
      domains.push(Uuid.toText(book.cover?.root?.value ?? new Uint8Array()));
      // After the first book, cause another book with the same correlation id elsewhere.
      follow ??= gateway.execute(echo(other, "follow-up", 0, "corr-stream"));
    }
    await follow;
    expect(received).toEqual([[0, 1], [0]]);
    expect(domains).toEqual([Uuid.toText(root), Uuid.toText(other)]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(rt.bus.active).toBe(0);
  });

  test("an unknown domain fails the stream with NOT_FOUND", async () => {
    const gateway = createClient(CommandGateway, rt.grpc());
    const err = await failure(() =>
      collect(gateway.executeStream(command("nope", Uuid.randomBytes(), StringValueSchema, text("x")))),
    );
    expect([err.code, err.rawMessage]).toEqual([Code.NotFound, "No service registered for domain: nope"]);
  });

  test("a client that goes away ends the server side", async () => {
    const gateway = createClient(CommandGateway, rt.connect());
    const controller = new AbortController();
    const before = rt.bus.active;
    const stream = gateway.executeStream(echo(Uuid.randomBytes(), "bye"), { signal: controller.signal });
    const cancelled = await failure(async () => {
      for await (const _ of stream) {
        expect(rt.bus.active).toBe(before + 1);
        controller.abort();
      }
    });
    expect(cancelled.code).toBe(Code.Canceled);
    const deadline = Date.now() + 2_000;
    while (rt.bus.active > before && Date.now() < deadline) await Bun.sleep(10);
    expect(rt.bus.active).toBe(before);
  });
});

describe("EventStream.Subscribe", () => {
  test("an empty correlation id is INVALID_ARGUMENT", async () => {
    const stream = createClient(EventStream, rt.connect());
    const err = await failure(() => collect(stream.subscribe({ correlationId: "" })));
    expect([err.code, err.rawMessage]).toEqual([
      Code.InvalidArgument,
      "correlation_id is required for event stream subscription",
    ]);
  });

  test("streams live books with the correlation id, none other", async () => {
    const stream = createClient(EventStream, rt.grpc());
    const gateway = createClient(CommandGateway, rt.connect());
    const controller = new AbortController();
    const before = rt.bus.active;
    const got: string[] = [];
    const reading = (async () => {
      try {
        for await (const book of stream.subscribe(
          { correlationId: "corr-sub" },
          { signal: controller.signal },
        )) {
          got.push(`${book.cover?.correlationId}:${sequences(book).join(",")}`);
          if (got.length === 2) controller.abort();
        }
      } catch (err) {
        if ((await failure(() => Promise.reject(err))).code !== Code.Canceled) throw err;
      }
    })();
    await rt.bus.waitFor(before + 1);
    await gateway.execute(echo(Uuid.randomBytes(), "unrelated", 0, "corr-other"));
    await gateway.execute(echo(Uuid.randomBytes(), "twice:a", 0, "corr-sub"));
    await gateway.execute(echo(Uuid.randomBytes(), "b", 0, "corr-sub"));
    await reading;
    expect(got).toEqual(["corr-sub:0,1", "corr-sub:0"]);
  });
});

describe("AggregateCoordinator and SpeculativeService", () => {
  test("Handle, HandleSync and DryRunHandle / DryRunCommand", async () => {
    const coordinator = createClient(AggregateCoordinator, rt.grpc());
    const root = Uuid.randomBytes();
    const handled = await coordinator.handle(echo(root, "a"));
    expect(sequences(handled.events)).toEqual([0]);
    const synced = await coordinator.handleSync({ command: echo(root, "b", 1), syncMode: SyncMode.SIMPLE });
    expect(sequences(synced.events)).toEqual([1]);

    const asOf = create(TemporalQuerySchema, { pointInTime: { case: "asOfSequence", value: 0 } });
    const dry = await coordinator.dryRunHandle({ command: echo(root, "c", 1), pointInTime: asOf });
    expect(sequences(dry.events)).toEqual([1]);
    const speculative = createClient(SpeculativeService, rt.connect());
    const now = create(TemporalQuerySchema, { pointInTime: { case: "asOfTime", value: Timestamps.now() } });
    const dry2 = await speculative.dryRunCommand({ command: echo(root, "c", 2), pointInTime: now });
    expect(sequences(dry2.events)).toEqual([2]);
    const stored = await rt.storage.events.get({ domain: ECHO_DOMAIN, edition: "", root });
    expect(stored.length).toBe(2);
  }, 10_000);

  test("a dry run checks the command's sequence against the history as of its point in time", async () => {
    // Connect: connect-es's gRPC client cannot read the reference's raw-EventBook trailer.
    const coordinator = createClient(AggregateCoordinator, rt.connect());
    const speculative = createClient(SpeculativeService, rt.connect());
    const root = Uuid.randomBytes();
    await coordinator.handle(echo(root, "a"));
    await coordinator.handle(echo(root, "b", 1));
    const asOf = (value: number) =>
      create(TemporalQuerySchema, { pointInTime: { case: "asOfSequence", value } });
    // As of sequence 0 the aggregate is at 1: a command expecting 2 (its current position) is stale.
    for (const call of [
      () => coordinator.dryRunHandle({ command: echo(root, "c", 2), pointInTime: asOf(0) }),
      () => speculative.dryRunCommand({ command: echo(root, "c", 0), pointInTime: asOf(0) }),
    ]) {
      const err = await failure(call);
      expect(err.code).toBe(Code.Aborted);
      expect(err.rawMessage).toMatch(/^Sequence mismatch: command expects [02], aggregate at 1$/);
    }
    const ok = await speculative.dryRunCommand({ command: echo(root, "c", 1), pointInTime: asOf(0) });
    expect(sequences(ok.events)).toEqual([1]);
    expect((await rt.storage.events.get({ domain: ECHO_DOMAIN, edition: "", root })).length).toBe(2);
  });

  test("dry runs without a command or a point in time are INVALID_ARGUMENT", async () => {
    const speculative = createClient(SpeculativeService, rt.connect());
    const noCommand = await failure(() => speculative.dryRunCommand(create(DryRunRequestSchema)));
    expect(noCommand.rawMessage).toBe("DryRunRequest must have a command");
    const noPoint = await failure(() =>
      speculative.dryRunCommand({ command: echo(Uuid.randomBytes(), "x") }),
    );
    expect([noPoint.code, noPoint.rawMessage]).toEqual([
      Code.InvalidArgument,
      "DryRun requires either as_of_sequence or as_of_timestamp",
    ]);
    // This runtime hosts no projector: every name is unknown.
    const unknown = await failure(() => speculative.speculateProjector({ projectorName: "x" }));
    expect(unknown.code).toBe(Code.NotFound);
  });
});

describe("grpc.health.v1.Health", () => {
  test("Check, List and Watch", async () => {
    const health = createClient(Health, rt.grpc());
    expect((await health.check({ service: "" })).status).toBe(ServingStatus.SERVING);
    expect((await health.check({ service: "angzarr.CommandGateway" })).status).toBe(ServingStatus.SERVING);
    const unknown = await failure(() => health.check({ service: "nope" }));
    expect(unknown.code).toBe(Code.NotFound);
    const listed = await health.list({});
    expect(Object.keys(listed.statuses)).toContain("angzarr.EventQuery");

    const controller = new AbortController();
    const seen: ServingStatus[] = [];
    const watching = (async () => {
      try {
        for await (const r of health.watch(
          { service: "angzarr.EventQuery" },
          { signal: controller.signal },
        )) {
          seen.push(r.status);
          if (seen.length === 1) rt.gateway.health.set("angzarr.EventQuery", ServingStatus.NOT_SERVING);
          if (seen.length === 2) controller.abort();
        }
      } catch (err) {
        if ((await failure(() => Promise.reject(err))).code !== Code.Canceled) throw err;
      }
    })();
    await watching;
    rt.gateway.health.set("angzarr.EventQuery", ServingStatus.SERVING);
    expect(seen).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);

    const unknownWatch = createClient(Health, rt.connect()).watch({ service: "nope" });
    for await (const r of unknownWatch) {
      expect(r.status).toBe(ServingStatus.SERVICE_UNKNOWN);
      break;
    }
  });
});

describe("stop()", () => {
  test("closes open streams and the port", async () => {
    const own = await startTestRuntime([aggregateEntry(echoAggregate())]);
    const stream = createClient(EventStream, own.connect()).subscribe({ correlationId: "forever" });
    const reading = collect(stream).catch((err) => err);
    await own.bus.waitFor(1);
    // A stop that waited for the endless stream would never return (the test's own timeout).
    await own.stop();
    await reading;
    expect(own.bus.active).toBe(0);
    const refused = await failure(() =>
      createClient(Health, own.connectHttp1()).check({ service: "" }, { timeoutMs: 2_000 }),
    );
    expect(refused.code).toBe(Code.Unavailable);
  });
});
