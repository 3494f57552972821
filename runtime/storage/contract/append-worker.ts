// A child process for the multi-process contract tests: opens the store named on the command line
// and appends `count` explicit events to one aggregate, retrying on sequence conflicts.
//
//   bun append-worker.ts '{"config":{...},"domain":"d","root":"<32 hex>","count":10,"tag":"w1"}'
//
// Prints one JSON line: {"appended": n, "conflicts": n}.
import { EventPages } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { SequenceConflictError } from "../errors";
import { openStorage, type StorageConfig } from "../open";

export interface AppendWorkerJob {
  config: StorageConfig;
  domain: string;
  /** Root as 32 hex digits. */
  root: string;
  count: number;
  /** Distinguishes this worker's payloads: `${tag}-${i}`. */
  tag: string;
}

/** Appends `job.count` events, each at the sequence read just before; conflicts are retried. */
export async function runAppendJob(job: AppendWorkerJob): Promise<{ appended: number; conflicts: number }> {
  const storage = await openStorage(job.config);
  const ref = { domain: job.domain, edition: "", root: new Uint8Array(Buffer.from(job.root, "hex")) };
  let appended = 0;
  let conflicts = 0;
  try {
    while (appended < job.count) {
      if (conflicts > 10_000) throw new Error(`${job.tag}: gave up after ${conflicts} conflicts`);
      const next = await storage.events.nextSequence(ref);
      const event = create(AnySchema, {
        typeUrl: "type.test/test.Appended",
        value: new TextEncoder().encode(`${job.tag}-${appended}`),
      });
      try {
        await storage.events.append(ref, [EventPages.numbered(next, event)], { correlationId: job.tag });
        appended++;
      } catch (err) {
        if (!(err instanceof SequenceConflictError)) throw err;
        conflicts++;
      }
    }
  } finally {
    await storage.close();
  }
  return { appended, conflicts };
}

if (import.meta.main) {
  const job = JSON.parse(process.argv[2] ?? "{}") as AppendWorkerJob;
  const result = await runAppendJob(job);
  console.log(JSON.stringify(result));
}
