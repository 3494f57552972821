import { expect, test } from "bun:test";
import { runtimeTypeRegistry } from "./type-registry";

test("the JSON type registry holds the contract, the example domains and the well-known types", () => {
  for (const name of [
    "angzarr.CommandBook",
    "angzarr.ext.DeadLetter",
    "examples.CreateOrder",
    "examples.ReceiveStock",
    "google.protobuf.StringValue",
    "google.protobuf.Timestamp",
  ]) {
    expect(runtimeTypeRegistry.getMessage(name)?.typeName).toBe(name);
  }
});
