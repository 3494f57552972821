// A path no service serves: gRPC, gRPC-Web and Connect clients each learn UNIMPLEMENTED in their own
// protocol (on main an HTTP 404 reached gRPC clients).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GetDescriptorRequestSchema, Saga } from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { Code, failure } from "./testing/clients";
import { ECHO_DOMAIN, echoAggregate } from "./testing/echo-aggregate";
import { aggregateEntry, startTestRuntime, type TestRuntime } from "./testing/harness";
import { rawGrpcUnary } from "./testing/raw-grpc";

let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime([aggregateEntry(echoAggregate(ECHO_DOMAIN))]);
});

afterAll(async () => {
  await rt.stop();
});

// The gateway does not serve the handler-side Saga service: a real, well-formed but unrouted call.
const PATH = "/angzarr.Saga/GetDescriptor";

describe("unrouted paths", () => {
  test("a bare gRPC call gets HTTP 200 with grpc-status 12 in the trailers", async () => {
    const result = await rawGrpcUnary(
      rt.url,
      PATH,
      toBinary(GetDescriptorRequestSchema, create(GetDescriptorRequestSchema)),
    );
    expect(result.headers[":status"]).toBe("200");
    expect(result.trailers["grpc-status"]).toBe("12");
    expect(decodeURIComponent(result.trailers["grpc-message"] ?? "")).toBe(`Method not found: ${PATH}`);
  });

  test("connect-es gRPC, gRPC-Web and Connect clients all see UNIMPLEMENTED", async () => {
    const transports = [
      rt.grpc(),
      rt.connect(),
      rt.connectHttp1(),
      createGrpcWebTransport({ baseUrl: rt.url, httpVersion: "1.1" }),
    ];
    for (const transport of transports) {
      const saga = createClient(Saga, transport);
      const err = await failure(() => saga.getDescriptor({}));
      expect(err.code).toBe(Code.Unimplemented);
    }
  });

  test("a plain GET of an unknown path is a 404 naming the code", async () => {
    const response = await fetch(`${rt.url}/nothing/here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      code: "unimplemented",
      message: "Method not found: /nothing/here",
    });
  });
});
