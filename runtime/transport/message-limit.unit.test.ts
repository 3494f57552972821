// The message limit on a streamed request body: counted as the body is made, the call failing
// RESOURCE_EXHAUSTED as soon as it passes the limit (the rest never made).
import { describe, expect, test } from "bun:test";
import { gatherBody, type RpcClient, type StreamedBody } from "@angzarr/sdk";
import { Code, ConnectError } from "@connectrpc/connect";
import { limitedRpc } from "./message-limit";

/** A client that makes the whole body, as a transport would send it. */
const sink: RpcClient = { address: "sink", raw: async (_path, body) => gatherBody(body) };

function pieces(sizes: number[], made: number[]): StreamedBody {
  return {
    async *parts() {
      for (const size of sizes) {
        made.push(size);
        yield [new Uint8Array(size)];
      }
    },
  };
}

describe("limitedRpc on a streamed body", () => {
  test("under the limit it goes through whole", async () => {
    const made: number[] = [];
    const bytes = await limitedRpc(sink, 100, "p").raw("/x", pieces([40, 40, 20], made));
    expect(bytes.length).toBe(100);
    expect(made).toEqual([40, 40, 20]);
  });

  test("past the limit: RESOURCE_EXHAUSTED, and no further piece is made", async () => {
    const made: number[] = [];
    const call = limitedRpc(sink, 100, "p").raw("/x", pieces([40, 40, 40, 40], made));
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.ResourceExhausted);
    expect((err as ConnectError).rawMessage).toContain("120 bytes, over the message limit of 100 bytes");
    expect(made).toEqual([40, 40, 40]);
  });
});
