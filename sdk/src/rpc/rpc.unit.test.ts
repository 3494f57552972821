import { describe, expect, test } from "bun:test";
import {
  Aggregate,
  EventBookSchema,
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { addHealth, HealthRegistry } from "../health";
import { MemoryClient, unary } from "./client";
import { errorFromResponse, errorResponse } from "./protocol";
import { UnaryRouter } from "./router";

describe("Connect unary protocol", () => {
  test("an error keeps its code, raw message and typed details through the JSON body", async () => {
    const book = create(EventBookSchema, { pages: [] });
    const sent = new ConnectError(
      "Sequence mismatch: command expects 3, aggregate at 5",
      Code.Aborted,
      undefined,
      [{ desc: EventBookSchema, value: book }],
    );
    const res = errorResponse(sent);
    expect(res.status).toBe(409);
    const back = await errorFromResponse(res);
    expect(back.code).toBe(Code.Aborted);
    expect(back.rawMessage).toBe("Sequence mismatch: command expects 3, aggregate at 5");
    expect(back.findDetails(EventBookSchema)).toHaveLength(1);
  });

  test("a plain Error becomes INTERNAL with its message and no stack", async () => {
    const back = await errorFromResponse(errorResponse(new Error("disk full")));
    expect(back.code).toBe(Code.Internal);
    expect(back.rawMessage).toBe("disk full");
  });
});

describe("UnaryRouter over the in-memory transport", () => {
  const router = addHealth(new UnaryRouter(), new HealthRegistry());
  const client = new MemoryClient(router);

  test("serves health Check for the whole server", async () => {
    const res = await unary(client, Health.method.check, create(HealthCheckRequestSchema, { service: "" }));
    expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  test("an unknown health service is NOT_FOUND", async () => {
    const call = unary(client, Health.method.check, create(HealthCheckRequestSchema, { service: "nope" }));
    await expect(call).rejects.toMatchObject({ code: Code.NotFound });
  });

  test("an unregistered path is UNIMPLEMENTED", async () => {
    await expect(client.raw("/angzarr.Aggregate/Handle", new Uint8Array())).rejects.toMatchObject({
      code: Code.Unimplemented,
    });
  });

  test("an undecodable request is INVALID_ARGUMENT starting `failed to decode`", async () => {
    const r = new UnaryRouter().add(Aggregate.method.handle, () => {
      throw new Error("never reached");
    });
    const err = await new MemoryClient(r)
      .raw("/angzarr.Aggregate/Handle", new Uint8Array([0xff, 0xfe, 0xfd]))
      .catch((e) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).rawMessage).toStartWith("failed to decode angzarr.ContextualCommand");
  });
});
