// Small helpers shared by the gateway integration tests.
import { type EventBook, EventPages } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { type StringValue, StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";

export const V5_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export const text = (value: string): StringValue => create(StringValueSchema, { value });

/** Sequence numbers of a book's pages (-1 for unnumbered). */
export const sequences = (book: EventBook | undefined): number[] =>
  (book?.pages ?? []).map((p) => EventPages.sequence(p) ?? -1);

/** Runs `fn` and returns the ConnectError it throws (fails when it succeeds). */
export async function failure(fn: () => Promise<unknown>): Promise<ConnectError> {
  try {
    await fn();
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** Collects a server stream into an array. */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

export { Code };
