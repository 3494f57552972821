import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  DeadLetterService,
  ListDeadLettersRequestSchema,
  ReplayDeadLetterRequestSchema,
  Uuid,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { Code, type ConnectError, createClient } from "@connectrpc/connect";
import { NotFoundError } from "../storage/errors";
import { startTestRuntime, type TestRuntime } from "./testing/harness";

const cli = join(import.meta.dir, "..", "cli", "main.ts");

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn([process.execPath, cli, ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, out, err };
}

describe("operations API and CLI: dead letters and projection rebuilds", () => {
  let rt: TestRuntime;
  const replayed: number[] = [];
  let failNext = false;

  beforeAll(async () => {
    rt = await startTestRuntime([], {
      rebuildProjection: async (name) => {
        if (name !== "projector-x") throw new NotFoundError(`No projector registered with name: ${name}`);
        return 42;
      },
      replayDeadLetter: async (entry) => {
        if (failNext) {
          failNext = false;
          throw new Error("still broken");
        }
        replayed.push(entry.id);
        await rt.storage.deadLetters.markReplayed(entry.id);
      },
    });
    for (const consumer of ["saga-a", "projector-b"]) {
      await rt.storage.deadLetters.add({
        consumer,
        domain: "order",
        edition: "",
        root: Uuid.fromText("eb8052f7-3398-5b3a-99f8-7d84e926a184"),
        sequence: 3,
        correlationId: "corr-1",
        reason: `${consumer} failed`,
        payloadType: "angzarr.EventBook",
        payload: new Uint8Array([1, 2, 3]),
      });
    }
  });
  afterAll(async () => {
    await rt.stop();
  });

  test("List returns the parked entries, filtered by consumer", async () => {
    const client = createClient(DeadLetterService, rt.adminConnect());
    const all = await client.list(create(ListDeadLettersRequestSchema, {}));
    expect(all.entries.map((e) => e.consumer).sort()).toEqual(["projector-b", "saga-a"]);
    expect(all.entries[0]?.payload).toEqual(new Uint8Array([1, 2, 3]));
    const one = await client.list(create(ListDeadLettersRequestSchema, { consumer: "saga-a" }));
    expect(one.entries).toHaveLength(1);
  });

  test("Replay of an unknown id is NOT_FOUND; a failing replay is reported and the entry stays", async () => {
    const client = createClient(DeadLetterService, rt.adminConnect());
    const err = (await client
      .replay(create(ReplayDeadLetterRequestSchema, { id: 999n }))
      .catch((e) => e)) as ConnectError;
    expect(err.code).toBe(Code.NotFound);
    const [first] = (await client.list(create(ListDeadLettersRequestSchema, {}))).entries;
    failNext = true;
    const failed = (await client
      .replay(create(ReplayDeadLetterRequestSchema, { id: first!.id }))
      .catch((e) => e)) as ConnectError;
    expect(failed.code).toBe(Code.FailedPrecondition);
    expect(failed.rawMessage).toContain("still broken");
    expect((await client.list(create(ListDeadLettersRequestSchema, {}))).entries).toHaveLength(2);
  });

  test("the CLI lists as JSON and replays by id", async () => {
    const listed = await runCli(["dlq", "list", "--admin", rt.admin.url, "--json"]);
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.out) as { id: number; consumer: string; replayed: boolean }[];
    expect(rows).toHaveLength(2);
    const target = rows.find((r) => r.consumer === "saga-a")!;
    const replay = await runCli(["dlq", "replay", String(target.id), "--admin", rt.admin.url]);
    expect(replay.code).toBe(0);
    expect(replay.out).toContain("replayed");
    expect(replayed).toContain(target.id);
    const after = await runCli(["dlq", "list", "--admin", rt.admin.url]);
    expect(after.out).toContain("1 entry");
    const bad = await runCli(["dlq", "replay", "abc", "--admin", rt.admin.url]);
    expect(bad.code).toBe(2);
  }, 90_000); // four cold CLI starts: over 30 s at load 70

  test("the CLI rebuilds a projection; an unknown projector is reported", async () => {
    const ok = await runCli(["projection", "rebuild", "projector-x", "--admin", rt.admin.url]);
    expect(ok.code).toBe(0);
    expect(ok.out).toBe("projector-x: rebuilt, 42 events replayed\n");
    const missing = await runCli(["projection", "rebuild", "projector-y", "--admin", rt.admin.url]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("No projector registered with name: projector-y");
  });
});
