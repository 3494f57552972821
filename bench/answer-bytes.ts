// A command's answer and its publish, as the aggregate role makes them, per command: the stored
// book encoded for the bus, the routing keys of its copies, the CommandResponse encoded for the
// caller. `bun bench/answer-bytes.ts [COMMANDS]`: CPU µs per command of protobuf-es alone (the
// book encoded twice, once inside the answer) against the book encoded once (book-bytes.ts
// `encodedBook`, `commandResponseBytes`), alternating rounds in one process.
import { CommandResponseSchema, Covers, EventBookSchema, EventPageSchema } from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema, TimestampSchema, UInt32ValueSchema } from "@bufbuild/protobuf/wkt";
import { routingKeys } from "../runtime/bus/rabbitmq/routing";
import { commandResponseBytes, encodedBook } from "../runtime/coordinator/book-bytes";

const commands = Number(process.argv[2] ?? 200_000);
/** The counter's stored book: one page, its cover, as the role publishes and answers it. */
const book = (i: number) =>
  create(EventBookSchema, {
    cover: Covers.make({
      domain: "counter",
      root: new Uint8Array(16).fill(i % 251),
      correlationId: `c-${i}`,
    }),
    pages: [
      create(EventPageSchema, {
        sequence: { case: "num", value: i },
        createdAt: create(TimestampSchema, { seconds: BigInt(1_765_000_000 + i), nanos: i }),
        event: create(AnySchema, {
          typeUrl: `type.googleapis.com/${UInt32ValueSchema.typeName}`,
          value: toBinary(UInt32ValueSchema, create(UInt32ValueSchema, { value: 1 })),
        }),
      }),
    ],
  });
const books = Array.from({ length: commands }, (_, i) => book(i));
let sink = 0;
const rounds: Record<string, number[]> = { "protobuf-es, twice": [], "encoded once": [] };
const run = (name: string, each: (b: ReturnType<typeof book>) => void) => {
  const from = process.cpuUsage();
  for (const b of books) each(b);
  const used = process.cpuUsage(from);
  rounds[name]?.push((used.user + used.system) / commands);
};
for (let round = 0; round < 4; round++) {
  // Fresh book objects each round: nothing remembered from the round before.
  for (let i = 0; i < books.length; i++) books[i] = book(i);
  run("protobuf-es, twice", (b) => {
    sink += toBinary(EventBookSchema, b).length;
    sink += routingKeys(b).length;
    sink += toBinary(CommandResponseSchema, create(CommandResponseSchema, { events: b })).length;
  });
  for (let i = 0; i < books.length; i++) books[i] = book(i);
  run("encoded once", (b) => {
    sink += encodedBook(b).length;
    sink += routingKeys(b).length;
    sink += commandResponseBytes(create(CommandResponseSchema, { events: b })).length;
  });
}
for (const [name, values] of Object.entries(rounds)) {
  console.log(
    `${name}: ${values.map((v) => v.toFixed(2)).join(" / ")} µs per command (rounds; the first warms up)`,
  );
}
if (sink < 0) console.log(sink);
