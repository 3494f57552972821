// The agg-customer program's router in memory: real encoding both ways, no socket.
import { describe, expect, test } from "bun:test";
import {
  Aggregate as AggregateService,
  AnyPayload,
  CommandBooks,
  ContextualCommandSchema,
  Covers,
  type EventBook,
  GetDescriptorRequestSchema,
  Identity,
  TypeUrl,
} from "@angzarr/proto";
import {
  AddLoyaltyPointsSchema,
  CustomerStateSchema,
  LoyaltyPointsAddedSchema,
  RedeemLoyaltyPointsSchema,
} from "@angzarr/proto/examples.ts";
import { aggregateComponent, buildRouter, Code, ConnectError, MemoryClient, spec, unary } from "@angzarr/sdk";
import { create, fromBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { customerAggregate } from "./aggregate";
import { CORRUPT_BYTES, customerCreated, EMAIL, pointsAdded, rawCommand } from "./fixtures";

const client = new MemoryClient(buildRouter(aggregateComponent(customerAggregate)));
const root = Identity.customerRoot(EMAIL);
const cover = Covers.make({ domain: "customer", root, correlationId: "corr-customer-1" });
const history: EventBook = spec(customerAggregate, root)
  .given(customerCreated(), pointsAdded(50, 50))
  .history();
const request = (command: Any) =>
  create(ContextualCommandSchema, { events: history, command: CommandBooks.make(cover, command) });
const addPoints = AnyPayload.pack(
  AddLoyaltyPointsSchema,
  create(AddLoyaltyPointsSchema, { points: 30, reason: "Bonus", reference: "earn:o-1" }),
);

describe("agg-customer over RPC", () => {
  test("a command round trip returns the numbered event and the packed state", async () => {
    const response = await unary(client, AggregateService.method.handle, request(addPoints));
    const book = response.result.case === "events" ? response.result.value : undefined;
    expect(book?.cover?.correlationId).toBe("corr-customer-1");
    expect(book?.pages).toHaveLength(1);
    const page = book?.pages[0];
    expect(page?.sequence).toEqual({ case: "num", value: 2 });
    expect(page?.event?.typeUrl).toBe("type.googleapis.com/examples.LoyaltyPointsAdded");
    expect(AnyPayload.unpack(page?.event, LoyaltyPointsAddedSchema)).toMatchObject({
      points: 30,
      newBalance: 80,
    });
    expect(TypeUrl.fullName(book?.snapshotState?.typeUrl ?? "")).toBe("examples.CustomerState");
    const state = fromBinary(CustomerStateSchema, book?.snapshotState?.value ?? new Uint8Array());
    expect(state).toMatchObject({ loyaltyPoints: 80, lifetimePoints: 80, creditedReferences: ["earn:o-1"] });
  });

  test("a malformed payload fails INVALID_ARGUMENT and the program keeps serving", async () => {
    const bad = await unary(
      client,
      AggregateService.method.handle,
      request(rawCommand("examples.AddLoyaltyPoints", CORRUPT_BYTES)),
    ).catch((err: unknown) => err);
    expect(bad).toBeInstanceOf(ConnectError);
    expect((bad as ConnectError).code).toBe(Code.InvalidArgument);
    expect((bad as ConnectError).rawMessage).toStartWith("failed to decode examples.AddLoyaltyPoints");
    const good = await unary(client, AggregateService.method.handle, request(addPoints));
    expect(good.result.case).toBe("events");
  });

  test("a rejection keeps its code and message", async () => {
    const tooMany = AnyPayload.pack(
      RedeemLoyaltyPointsSchema,
      create(RedeemLoyaltyPointsSchema, { points: 51 }),
    );
    await expect(unary(client, AggregateService.method.handle, request(tooMany))).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      rawMessage: "Insufficient points: have 50, need 51",
    });
  });

  test("the descriptor names the domain and lists its commands", async () => {
    const descriptor = await unary(
      client,
      AggregateService.method.getDescriptor,
      create(GetDescriptorRequestSchema),
    );
    expect(descriptor).toMatchObject({ name: "customer", componentType: "aggregate" });
    expect(descriptor.inputs[0]?.eventTypes).toEqual([
      "examples.CreateCustomer",
      "examples.AddLoyaltyPoints",
      "examples.RedeemLoyaltyPoints",
    ]);
  });
});
