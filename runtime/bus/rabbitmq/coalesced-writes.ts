// The broker connection's frames written in one pass of the event loop go out in one socket
// write. rabbitmq-client writes each publish as three frames (method, header, body) and each
// acknowledgement as one, each a write of its own (its cork per message does not reach across
// messages): under 64 commands in flight, whose appends commit together (group commit) and whose
// publishes therefore start in the same turn, the aggregate role spent ~9 % of its CPU in those
// writes (bench/README.md, distributed section). Held until the pass's check phase
// (setImmediate), not only to the end of one callback's turn: a projector's notifications and a
// consumer's acknowledgements each follow a different handler answer or message read, all read
// in one pass under load, and a write to the broker's TCP socket is one of a role's dearest calls
// (the loopback delivery runs in the writer's system call). Order is kept: held frames go out
// before any write that is not held and before the socket ends. A socket that reports
// back-pressure is written through, so the client's own flow control still sees it.
import type { Writable } from "node:stream";

type Write = (chunk: unknown, ...rest: unknown[]) => boolean;
type End = (...args: unknown[]) => unknown;

const PATCHED = Symbol("angzarr.coalescedWrites");

/** Makes `socket` hold plain buffer writes until the current pass of the event loop ends; idempotent. */
export function coalesceWrites(socket: Writable): void {
  const marked = socket as Writable & { [PATCHED]?: true };
  if (marked[PATCHED]) return;
  marked[PATCHED] = true;
  const write = socket.write.bind(socket) as Write;
  const end = socket.end.bind(socket) as End;
  let held: Uint8Array[] = [];
  const flush = () => {
    if (held.length === 0) return;
    const chunks = held;
    held = [];
    if (socket.destroyed || socket.writableEnded) return;
    write(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  };
  (socket as { write: Write }).write = (chunk: unknown, ...rest: unknown[]): boolean => {
    if (rest.length > 0 || !(chunk instanceof Uint8Array) || socket.writableNeedDrain) {
      flush();
      return write(chunk, ...rest);
    }
    if (held.length === 0) setImmediate(flush);
    held.push(chunk);
    return true;
  };
  (socket as { end: End }).end = (...args: unknown[]) => {
    flush();
    return end(...args);
  };
}
