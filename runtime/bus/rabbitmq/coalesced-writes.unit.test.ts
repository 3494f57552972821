import { describe, expect, test } from "bun:test";
import { Writable } from "node:stream";
import { coalesceWrites } from "./coalesced-writes";

/** A socket stand-in recording each write that reaches it (and whether it was held up). */
function recorder(highWaterMark = 1024) {
  const writes: string[] = [];
  const socket = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      writes.push(chunk.toString());
      cb();
    },
  });
  return { socket, writes };
}

const b = (s: string) => Buffer.from(s);
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("coalesceWrites", () => {
  test("writes of one turn reach the socket as one write, in order", async () => {
    const { socket, writes } = recorder();
    coalesceWrites(socket);
    expect(socket.write(b("a"))).toBe(true);
    socket.write(b("b"));
    socket.write(b("c"));
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toEqual(["abc"]);
    socket.write(b("d"));
    await turn();
    expect(writes).toEqual(["abc", "d"]);
  });

  test("a write with a callback or a string goes after the held ones", async () => {
    const { socket, writes } = recorder();
    coalesceWrites(socket);
    socket.write(b("a"));
    let called = false;
    socket.write(b("b"), () => {
      called = true;
    });
    socket.write("c");
    await turn();
    expect(writes).toEqual(["a", "b", "c"]);
    expect(called).toBe(true);
  });

  test("ending the socket sends what is held first", async () => {
    const { socket, writes } = recorder();
    coalesceWrites(socket);
    socket.write(b("a"));
    socket.end(b("z"));
    await turn();
    expect(writes).toEqual(["a", "z"]);
  });

  test("under back-pressure writes go through and report it", async () => {
    const { socket, writes } = recorder(2);
    // The stand-in answers later, so its buffer fills as a congested socket's does.
    const slow = new Writable({
      highWaterMark: 2,
      write(chunk: Buffer, _enc, cb) {
        writes.push(chunk.toString());
        setTimeout(cb, 5);
      },
    });
    coalesceWrites(slow);
    slow.write(b("abc"));
    await turn();
    expect(slow.writableNeedDrain).toBe(true);
    expect(slow.write(b("d"))).toBe(false);
    await new Promise<void>((resolve) => slow.once("drain", () => resolve()));
    expect(writes).toEqual(["abc", "d"]);
    socket.destroy();
  });

  test("writes of callbacks that run in one pass of the event loop reach the socket as one write", async () => {
    const { socket, writes } = recorder();
    coalesceWrites(socket);
    // Two sockets' reads (here: two timers) handled in the same pass, each writing: one write.
    await new Promise<void>((resolve) => {
      setTimeout(() => socket.write(b("a")), 0);
      setTimeout(() => {
        socket.write(b("b"));
        resolve();
      }, 0);
    });
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toEqual(["ab"]);
  });

  test("patching twice holds once", async () => {
    const { socket, writes } = recorder();
    coalesceWrites(socket);
    coalesceWrites(socket);
    socket.write(b("a"));
    socket.write(b("b"));
    await turn();
    expect(writes).toEqual(["ab"]);
  });
});
