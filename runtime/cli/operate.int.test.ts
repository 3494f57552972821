// Every operator subcommand of `angzarr` against a running runtime (a real child process with
// synthetic programs): what it prints as text and as JSON, its exit codes, its help and its
// one-line answer to a mistyped option.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CommandGateway, Uuid } from "@angzarr/proto";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { text } from "../services/testing/clients";
import { command } from "../services/testing/harness";
import { LEDGER, SOURCE } from "../testing/fixtures/reactive-components";
import { gatewayTransport, type Lifecycle, runLifecycle } from "../testing/lifecycle";
import { waitFor } from "../testing/processes";
import { CLI, cli, type RunningRuntime, startRuntime, syntheticConfig } from "../testing/running-runtime";

let rt: RunningRuntime;
let flow: Lifecycle;
let root: string;
let admin: string[];

const lines = (out: string) => out.trimEnd().split("\n");

beforeAll(async () => {
  rt = await startRuntime({ config: syntheticConfig({ picky: true }) });
  admin = ["--admin", rt.adminUrl];
  flow = await runLifecycle(rt.url);
  root = Uuid.toText(flow.root);
  // A second event, and a poisoned aggregate whose event the picky projector dead-letters.
  const gateway = createClient(CommandGateway, gatewayTransport(rt.url));
  await gateway.execute(command(SOURCE, flow.root, StringValueSchema, text("paid"), 1, flow.correlationId));
  await gateway.execute(
    command(SOURCE, Uuid.randomBytes(), StringValueSchema, text("poison"), 0, "poisoned"),
  );
  await waitFor(
    "the poisoned event in the dead-letter queue",
    async () => (await cli(["dlq", "list", "--json", ...admin])).stdout.includes("projector-picky"),
    30_000,
  );
}, 90_000);

afterAll(async () => {
  await rt?.stop();
});

const SUBCOMMANDS = ["events", "topology", "editions", "dlq", "projection", "speculate", "health", "config"];

describe("every subcommand", () => {
  test("--help prints its usage and exits 0; a mistyped option is one line and exit 2", async () => {
    for (const name of SUBCOMMANDS) {
      const help = await cli([name, "--help"]);
      expect({ name, code: help.code, stderr: help.stderr }).toEqual({ name, code: 0, stderr: "" });
      expect(help.stdout).toStartWith(`usage: angzarr ${name}`);
      const typo = await cli(name === "health" ? [name, "--gatway", "x"] : [name, "list", "--gatway", "x"]);
      expect({ name, code: typo.code }).toEqual({ name, code: 2 });
      // health answers probes on stdout only (exec probes read one line); the rest on stderr.
      const said = name === "health" ? typo.stdout : typo.stderr;
      expect(lines(said)).toHaveLength(1);
      expect(said).toContain("--gatway");
      expect(said).not.toContain("    at ");
    }
    const suggested = await cli(["dlq", "list", "--amdin", rt.adminUrl]);
    expect(suggested.stderr).toBe(
      "angzarr dlq: unknown option --amdin (did you mean --admin?) (see angzarr dlq --help)\n",
    );
    const unknown = await cli(["evnets"]);
    expect(unknown.code).toBe(2);
    expect(lines(unknown.stderr)).toHaveLength(1);
  }, 60_000);

  test("a runtime that does not answer: one line and exit 1", async () => {
    const down = await cli(["dlq", "list", "--admin", "http://127.0.0.1:1"]);
    expect(down.code).toBe(1);
    expect(lines(down.stderr)).toHaveLength(1);
    expect(down.stderr).toStartWith("angzarr dlq: ");
  }, 60_000);
});

describe("events", () => {
  test("an aggregate's history decoded, as text and as JSON lines, by range and as of a time", async () => {
    const all = await cli(["events", SOURCE, root, ...admin]);
    expect(all.code).toBe(0);
    expect(lines(all.stdout)).toHaveLength(2);
    expect(lines(all.stdout)[0]).toMatch(/^#0 \S+Z google\.protobuf\.StringValue "opened"$/);
    expect(lines(all.stdout)[1]).toMatch(/^#1 \S+Z google\.protobuf\.StringValue "paid"$/);

    const json = await cli(["events", SOURCE, root, "--json", ...admin]);
    const rows = lines(json.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => [r.sequence, r.type, r.payload, r.domain, r.root])).toEqual([
      [0, "google.protobuf.StringValue", "opened", SOURCE, root],
      [1, "google.protobuf.StringValue", "paid", SOURCE, root],
    ]);
    const ranged = await cli(["events", SOURCE, root, "--from", "1", "--to", "1", "--json", ...admin]);
    expect(lines(ranged.stdout).map((l) => JSON.parse(l).payload)).toEqual(["paid"]);
    const asOf = await cli([
      "events",
      SOURCE,
      root,
      "--as-of",
      String(rows[0]?.createdAt),
      "--json",
      ...admin,
    ]);
    expect(lines(asOf.stdout).map((l) => JSON.parse(l).payload)).toEqual(["opened"]);

    const bad = await cli(["events", SOURCE, "not-a-uuid", ...admin]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("ROOT must be a UUID");
  }, 60_000);

  test("a workflow's events across aggregates by correlation id", async () => {
    const res = await cli(["events", "--correlation", flow.correlationId, "--json", ...admin]);
    expect(res.code).toBe(0);
    const domains = new Set(lines(res.stdout).map((l) => JSON.parse(l).domain as string));
    expect([...domains].sort()).toEqual([LEDGER, SOURCE, "watch"]);
  }, 60_000);

  test("--follow prints events as they are stored", async () => {
    const proc = Bun.spawn(
      [process.execPath, CLI, "events", SOURCE, root, "--follow", "--interval", "100", ...admin],
      { stdout: "pipe", stderr: "pipe", stdin: "ignore" },
    );
    let out = "";
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of proc.stdout) out += decoder.decode(chunk, { stream: true });
    })();
    await waitFor("the existing events", () => out.includes('"paid"'), 20_000);
    const gateway = createClient(CommandGateway, gatewayTransport(rt.url));
    await gateway.execute(
      command(SOURCE, flow.root, StringValueSchema, text("shipped"), 2, flow.correlationId),
    );
    await waitFor("the new event", () => out.includes("#2 "), 20_000);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(0);
    expect(lines(out).filter((l) => l.includes('"shipped"'))).toHaveLength(1);
  }, 60_000);
});

describe("topology, projection, health", () => {
  test("topology as text and JSON", async () => {
    const textOut = await cli(["topology", ...admin]);
    expect(textOut.code).toBe(0);
    expect(textOut.stdout).toMatch(/saga\s+saga-src-ledger/);
    expect(textOut.stdout).toContain("src → ledger  via saga-src-ledger");
    const json = JSON.parse((await cli(["topology", "--json", ...admin])).stdout) as {
      nodes: { id: string }[];
    };
    expect(json.nodes.map((n) => n.id)).toContain("projector-picky");
  }, 60_000);

  test("projection status lists every consumer's checkpoint; rebuild replays", async () => {
    const status = await cli(["projection", "status", "--json", ...admin]);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as { headPosition: number; checkpoints: { consumer: string }[] };
    expect(parsed.headPosition).toBeGreaterThan(0);
    expect(new Set(parsed.checkpoints.map((c) => c.consumer))).toEqual(
      new Set(["saga-src-ledger", "pmg-watch", "projector-tally", "projector-picky"]),
    );
    const textOut = await cli(["projection", "status", "--consumer", "projector-tally", ...admin]);
    expect(lines(textOut.stdout)[0]).toMatch(/^projector-tally \(projector\) src: position \d+, /);
    const rebuild = await cli(["projection", "rebuild", "projector-tally", ...admin]);
    expect(rebuild.code).toBe(0);
    expect(rebuild.stdout).toMatch(/^projector-tally: rebuilt, \d+ events replayed\n$/);
    const unknown = await cli(["projection", "rebuild", "projector-nope", ...admin]);
    expect(unknown.code).toBe(1);
  }, 60_000);

  test("health", async () => {
    const res = await cli(["health", "--addr", rt.url]);
    expect(res).toEqual({ code: 0, stdout: `SERVING ${rt.url}\n`, stderr: "" });
  }, 60_000);
});

describe("editions", () => {
  test("create, list (text and JSON), read its timeline, delete", async () => {
    const created = await cli([
      "editions",
      "create",
      "what-if",
      "--at-sequence",
      "1",
      "--description",
      "try",
      ...admin,
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^created edition what-if at \S+\n$/);
    const listed = await cli(["editions", "list", ...admin]);
    expect(listed.stdout).toMatch(
      /^what-if {2}created \S+ {2}from sequence 1 {2}events none {2}"try"\n1 edition\n$/,
    );
    const json = JSON.parse((await cli(["editions", "list", "--json", ...admin])).stdout) as {
      name: string;
    }[];
    expect(json.map((e) => e.name)).toEqual(["what-if"]);
    const timeline = await cli(["events", SOURCE, root, "--edition", "what-if", "--json", ...admin]);
    expect(lines(timeline.stdout).map((l) => JSON.parse(l).edition)).toContain("what-if");
    const deleted = await cli(["editions", "delete", "what-if", ...admin]);
    expect(deleted).toMatchObject({ code: 0, stdout: "deleted edition what-if\n" });
    expect((await cli(["editions", "list", ...admin])).stdout).toBe("0 editions\n");
    expect((await cli(["editions", "delete", "what-if", ...admin])).code).toBe(1);
  }, 60_000);
});

describe("dlq", () => {
  test("list, show (payload decoded), replay (still failing), discard", async () => {
    const list = await cli(["dlq", "list", "--json", ...admin]);
    const entries = JSON.parse(list.stdout) as { id: number; consumer: string; replayed: boolean }[];
    const parked = entries.find((e) => e.consumer === "projector-picky");
    expect(parked?.replayed).toBe(false);
    const id = String(parked?.id);
    const textList = await cli(["dlq", "list", ...admin]);
    expect(textList.stdout).toMatch(
      new RegExp(`^#${id} parked projector-picky src/\\S+@0 corr=poisoned: `, "m"),
    );

    const show = JSON.parse((await cli(["dlq", "show", id, "--json", ...admin])).stdout) as {
      payloadType: string;
      payload: { pages: { event: { value: string } }[] };
    };
    expect(show.payloadType).toBe("angzarr.EventBook");
    expect(show.payload.pages[0]?.event.value).toBe("poison");

    // The projector still refuses it: the replay fails, says so, exits 1.
    const replay = await cli(["dlq", "replay", id, ...admin]);
    expect(replay.stdout).toContain("replayed, ");
    expect(replay.stderr).toStartWith(`replaying 1/1: `);

    const discard = await cli(["dlq", "discard", id, ...admin]);
    expect(discard.code).toBe(0);
    expect(discard.stdout).toStartWith(`discarded #${id} `);
    const after = JSON.parse((await cli(["dlq", "list", "--all", "--json", ...admin])).stdout) as {
      id: number;
    }[];
    expect(after.map((e) => String(e.id))).not.toContain(id);
    expect((await cli(["dlq", "show", id, ...admin])).code).toBe(1);
  }, 60_000);
});

describe("speculate", () => {
  test("a command dry-run, and a saga, PM and projector on stored books: nothing stored", async () => {
    const dry = await cli([
      "speculate",
      "command",
      SOURCE,
      root,
      "google.protobuf.StringValue",
      '"returned"',
      ...admin,
    ]);
    expect(dry.code).toBe(0);
    const events = JSON.parse(dry.stdout) as { events: { pages: { event: { value: string } }[] } };
    expect(events.events.pages.map((p) => p.event.value)).toEqual(["returned"]);
    const saga = JSON.parse(
      (await cli(["speculate", "saga", "saga-src-ledger", SOURCE, root, ...admin])).stdout,
    ) as {
      commands: { cover: { domain: string } }[];
    };
    expect(saga.commands.length).toBeGreaterThan(0);
    expect(saga.commands.every((c) => c.cover.domain === LEDGER)).toBe(true);
    const projector = JSON.parse(
      (await cli(["speculate", "projector", "projector-tally", SOURCE, root, ...admin])).stdout,
    ) as { projection: { value: string } };
    expect(projector.projection.value).toStartWith("count ");
    const pm = await cli([
      "speculate",
      "pm",
      "pmg-watch",
      SOURCE,
      root,
      "--correlation",
      flow.correlationId,
      ...admin,
    ]);
    expect(pm.code).toBe(0);
    expect(pm.stdout).toContain("tracked:");
    // Nothing of it was stored.
    const history = await cli(["events", SOURCE, root, "--json", ...admin]);
    expect(history.stdout).not.toContain("returned");
    const badJson = await cli([
      "speculate",
      "command",
      SOURCE,
      root,
      "google.protobuf.StringValue",
      "{",
      ...admin,
    ]);
    expect(badJson.code).toBe(2);
  }, 60_000);
});

describe("config check", () => {
  test("a valid file: what it would run, exit 0; an invalid one: the problems, exit 1", async () => {
    const good = join(rt.dir, "check-good.yaml");
    writeFileSync(good, syntheticConfig());
    const ok = await cli(["config", "check", good]);
    expect(ok.code).toBe(0);
    expect(lines(ok.stdout)[0]).toBe(`${good}: valid`);
    expect(ok.stdout).toContain("saga saga-src-ledger (saga-src-ledger)");
    const json = JSON.parse((await cli(["config", "check", good, "--json"])).stdout) as { valid: boolean };
    expect(json.valid).toBe(true);
    const bad = join(rt.dir, "check-bad.yaml");
    writeFileSync(bad, 'port: "eighty"\ncomponents:\n  - { name: a, kind: aggregat, socket: a.sock }\n');
    const refused = await cli(["config", "check", bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('port: expected number, got string "eighty"');
    expect(refused.stderr).toContain("components[0].kind: expected one of");
    expect((await cli(["config", "check", join(rt.dir, "missing.yaml")])).code).toBe(1);
    expect((await cli(["config", "check"])).code).toBe(2);
  }, 60_000);
});
