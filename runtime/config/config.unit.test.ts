import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeDir, tempDir } from "../testing/processes";
import { ConfigError, loadConfig } from "./load";
import { bunBinary } from "./paths";
import { programFromEntry, programFromExecutable } from "./programs";

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("program names", () => {
  test.each([
    ["domains/order/agg/main.ts", "agg-order", "aggregate", "order"],
    ["domains/order/saga-inventory/main.ts", "saga-order-inventory", "saga", "saga-order-inventory"],
    [
      "domains/pmg-order-fulfillment/main.ts",
      "pmg-order-fulfillment",
      "process_manager",
      "pmg-order-fulfillment",
    ],
    [
      "domains/prj-inventory-stock/main.ts",
      "projector-inventory-stock",
      "projector",
      "projector-inventory-stock",
    ],
    ["domains/order/prj-summary/main.ts", "projector-order-summary", "projector", "projector-order-summary"],
  ])("%s → %s", (entry, program, kind, name) => {
    expect(programFromEntry(entry)).toMatchObject({ program, kind, name });
  });

  test("other files are not programs", () => {
    expect(programFromEntry("domains/order/agg/aggregate.ts")).toBeUndefined();
    expect(programFromEntry("domains/order/main.ts")).toBeUndefined();
    expect(programFromEntry("domains/order/lib/main.ts")).toBeUndefined();
    expect(programFromExecutable("angzarr")).toBeUndefined();
    expect(programFromExecutable("agg-order")).toMatchObject({ kind: "aggregate", domain: "order" });
  });
});

describe("loadConfig", () => {
  let dir: string;
  const env = {};

  beforeEach(() => {
    dir = tempDir("az-cfg-");
  });
  afterEach(() => removeDir(dir));

  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  /** A fake project: two aggregates, a saga and a projector; one compiled aggregate. */
  const project = () => {
    for (const entry of ["order/agg", "cart/agg", "order/saga-inventory", "prj-inventory-stock"]) {
      mkdirSync(join(dir, "domains", entry), { recursive: true });
      writeFileSync(join(dir, "domains", entry, "main.ts"), "");
    }
    mkdirSync(join(dir, "dist"));
    writeFileSync(join(dir, "dist", "agg-order"), "");
    chmodSync(join(dir, "dist", "agg-order"), 0o755);
  };

  test("defaults: every program found, SQLite under the data folder, port 1310", () => {
    project();
    const config = loadConfig({ env, root: dir, cwd: dir, preferCompiled: false });
    expect(config.source).toBe("defaults");
    expect(config.port).toBe(1310);
    expect(config.data).toBe(join(dir, ".data"));
    expect(config.socketsDir).toBe(join(dir, ".data", "sockets"));
    expect(config.storage).toEqual({
      backend: "sqlite",
      path: join(dir, ".data", "angzarr.db"),
      durability: "normal",
    });
    expect(config.maxMessageBytes).toBe(64 * 1024 * 1024);
    expect(config.components.map((c) => [c.program, c.kind, c.name])).toEqual([
      ["agg-cart", "aggregate", "cart"],
      ["agg-order", "aggregate", "order"],
      ["projector-inventory-stock", "projector", "projector-inventory-stock"],
      ["saga-order-inventory", "saga", "saga-order-inventory"],
    ]);
    const order = config.components.find((c) => c.program === "agg-order");
    expect(order?.launch).toEqual({
      type: "spawn",
      argv: [bunBinary(), "domains/order/agg/main.ts"],
      cwd: dir,
    });
  });

  test("compiled programs are preferred when asked", () => {
    project();
    const config = loadConfig({ env, root: dir, cwd: dir, preferCompiled: true });
    const byProgram = new Map(config.components.map((c) => [c.program, c.launch]));
    expect(byProgram.get("agg-order")).toEqual({
      type: "spawn",
      argv: [join(dir, "dist", "agg-order")],
      cwd: dir,
    });
    expect(byProgram.get("agg-cart")).toEqual({
      type: "spawn",
      argv: [bunBinary(), "domains/cart/agg/main.ts"],
      cwd: dir,
    });
  });

  test("a file: relative paths resolve against its folder; flags beat env beat file", () => {
    const file = write(
      "angzarr.yaml",
      [
        "port: 2000",
        "data: state",
        "storage: { backend: sqlite, path: db/x.db, durability: full }",
        "handlers: { timeoutMs: 500, restart: { initialMs: 10 } }",
        "components:",
        "  - { name: echo, kind: aggregate, command: [bun, fixtures/echo.ts] }",
        "  - { name: ext, kind: aggregate, domain: other, socket: ext.sock }",
        "  - { name: bin, kind: aggregate, executable: bin/agg-bin }",
      ].join("\n"),
    );
    const config = loadConfig({ file, env, root: dir, cwd: "/" });
    expect(config.port).toBe(2000);
    expect(config.data).toBe(join(dir, "state"));
    expect(config.storage).toEqual({ backend: "sqlite", path: join(dir, "db/x.db"), durability: "full" });
    expect(config.handlers).toMatchObject({ timeoutMs: 500, restart: { initialMs: 10, maxMs: 10_000 } });
    expect(config.components.map((c) => [c.program, c.domain, c.launch])).toEqual([
      ["agg-echo", "echo", { type: "spawn", argv: [bunBinary(), "fixtures/echo.ts"], cwd: dir }],
      ["agg-other", "other", { type: "external", socket: join(dir, "ext.sock") }],
      ["agg-bin", "bin", { type: "spawn", argv: [join(dir, "bin/agg-bin")], cwd: dir }],
    ]);

    const env2 = {
      ANGZARR_PORT: "3000",
      ANGZARR_DATA: "/tmp/elsewhere",
      ANGZARR_STORAGE: "memory",
      ANGZARR_LOG: "warn",
    };
    const overridden = loadConfig({ file, env: env2, root: dir, cwd: "/" });
    expect(overridden).toMatchObject({
      port: 3000,
      data: "/tmp/elsewhere",
      log: "warn",
      storage: { backend: "memory" },
    });
    const flagged = loadConfig({ file, env: env2, root: dir, cwd: dir, flags: { port: 0, data: "d" } });
    expect(flagged).toMatchObject({ port: 0, data: join(dir, "d") });
  });

  test("an empty file means defaults; components: [] means none", () => {
    expect(loadConfig({ file: write("empty.yaml", ""), env, root: dir }).port).toBe(1310);
    expect(loadConfig({ file: write("none.yaml", "components: []\n"), env, root: dir }).components).toEqual(
      [],
    );
  });

  test("unknown keys name the key path and the file", () => {
    const file = write(
      "bad.yaml",
      "prot: 1\nhandlers:\n  timeout: 5\ncomponents:\n  - { name: a, kind: aggregate, cmd: [x] }\n",
    );
    const err = configError(() => loadConfig({ file, env, root: dir }));
    expect(err.where).toBe(file);
    expect(err.message).toContain(file);
    expect(err.problems).toContain(
      "prot: unknown key (allowed: port, host, maxMessageBytes, data, log, logLevels, storage, handlers, reactive, admin, connections, components)",
    );
    expect(err.problems.some((p) => p.startsWith("handlers.timeout: unknown key (allowed: timeoutMs,"))).toBe(
      true,
    );
    expect(err.problems.some((p) => p.startsWith("components[0].cmd: unknown key"))).toBe(true);
  });

  test("the message limit is one top-level key; the old handlers.maxMessageBytes says where it went", () => {
    const moved = write("moved.yaml", "handlers: { maxMessageBytes: 1048576 }\n");
    expect(configError(() => loadConfig({ file: moved, env, root: dir })).problems).toEqual([
      "handlers.maxMessageBytes: moved to maxMessageBytes (top level: one limit for the gateway and the handler programs)",
    ]);
    const file = write("limit.yaml", "maxMessageBytes: 1048576\n");
    expect(loadConfig({ file, env, root: dir }).maxMessageBytes).toBe(1_048_576);
    expect(
      loadConfig({ file, env: { ...env, ANGZARR_MAX_MESSAGE_BYTES: "2097152" }, root: dir }).maxMessageBytes,
    ).toBe(2_097_152);
    expect(
      configError(() => loadConfig({ file, env: { ...env, ANGZARR_MAX_MESSAGE_BYTES: "lots" }, root: dir }))
        .problems,
    ).toEqual(['ANGZARR_MAX_MESSAGE_BYTES: expected an integer 1024..2147483647, got "lots"']);
  });

  test("wrong types and values name the key path", () => {
    const file = write(
      "bad.yaml",
      'port: "abc"\nstorage: { backend: mysql, durability: maybe }\nhandlers: { restart: { maxMs: -1 } }\ncomponents:\n  - { name: a, kind: aggregate }\n',
    );
    const err = configError(() => loadConfig({ file, env, root: dir }));
    expect(err.problems).toContain('port: expected number, got string "abc"');
    expect(err.problems).toContain(
      'storage.backend: expected one of "memory", "sqlite", "postgres", got string "mysql"',
    );
    expect(err.problems).toContain(
      'storage.durability: expected one of "normal", "full", got string "maybe"',
    );
    expect(err.problems).toContain("handlers.restart.maxMs: must be >= 0, got number -1");
    expect(err.problems).toContain("components[0]: needs one of command, executable, socket or url");
  });

  test("duplicate names, invalid YAML, missing file, postgres without url", () => {
    const dup = write(
      "dup.yaml",
      "components:\n  - { name: a, kind: aggregate, socket: a }\n  - { name: b, kind: aggregate, domain: a, socket: b }\n",
    );
    expect(configError(() => loadConfig({ file: dup, env, root: dir })).problems[0]).toContain(
      "components[1].domain",
    );
    expect(configError(() => loadConfig({ file: write("y.yaml", "a: [1, 2\n"), env })).problems[0]).toContain(
      "not valid YAML",
    );
    const syntax = write("syntax.yaml", "port: 1310\nstorage:\n  backend: [sqlite\nhost: x\n");
    expect(configError(() => loadConfig({ file: syntax, env })).problems[0]).toStartWith(
      'not valid YAML at line 3: "backend: [sqlite": ',
    );
    expect(configError(() => loadConfig({ file: join(dir, "missing.yaml"), env })).problems[0]).toContain(
      "cannot read",
    );
    expect(configError(() => loadConfig({ file: write("l.yaml", "- a\n"), env })).problems[0]).toContain(
      "expected a mapping",
    );
    const pg = configError(() => loadConfig({ env: { ANGZARR_STORAGE: "postgres" }, root: dir }));
    expect(pg.problems[0]).toContain("storage.url");
    expect(
      loadConfig({ env: { ANGZARR_STORAGE: "postgres", ANGZARR_PG_URL: "postgres://x/y" }, root: dir })
        .storage,
    ).toEqual({ backend: "postgres", url: "postgres://x/y" });
    // ANGZARR_PG_SCHEMA names the schema over the file's (how start:distributed runs an examples config).
    const file = write("pg.yaml", "storage: { backend: postgres, url: postgres://x/y, schema: filed }\n");
    expect(loadConfig({ file, env: { ANGZARR_PG_SCHEMA: "acc_1" } }).storage).toEqual({
      backend: "postgres",
      url: "postgres://x/y",
      schema: "acc_1",
    });
    expect(loadConfig({ file, env: {} }).storage).toMatchObject({ schema: "filed" });
  });

  test("bad environment values name the variable", () => {
    const err = configError(() =>
      loadConfig({
        env: { ANGZARR_PORT: "70000", ANGZARR_STORAGE: "disk", ANGZARR_PG_SCHEMA: "drop table" },
        root: dir,
      }),
    );
    expect(err.where).toBe("environment");
    expect(err.problems).toEqual([
      'ANGZARR_PORT: expected an integer 0..65535, got "70000"',
      'ANGZARR_STORAGE: expected memory, sqlite or postgres, got "disk"',
      'ANGZARR_PG_SCHEMA: expected an SQL identifier, got "drop table"',
    ]);
  });
});

describe("ANGZARR_EXAMPLES", () => {
  const repo = join(import.meta.dir, "..", "..");

  test("python: the components of examples/python/angzarr.yaml, Python ones over gRPC", () => {
    const config = loadConfig({ env: { ANGZARR_EXAMPLES: "python" }, root: repo, cwd: repo });
    expect(config.source).toBe(join(repo, "examples", "python", "angzarr.yaml"));
    const order = config.components.find((c) => c.name === "order");
    expect(order?.transport).toBe("grpc");
    expect(order?.launch).toEqual({
      type: "spawn",
      argv: ["/usr/bin/python3", "-m", "domains.order.agg.main"],
      cwd: join(repo, "examples", "python"),
    });
    // A component the language lacks runs as its TypeScript program.
    const stock = config.components.find((c) => c.name === "projector-inventory-stock");
    expect(stock?.transport).toBe("connect");
    expect(config.components).toHaveLength(14);
  });

  test("typescript or unset: the discovered TypeScript programs; an unknown language is refused", () => {
    for (const env of [{}, { ANGZARR_EXAMPLES: "typescript" }]) {
      const config = loadConfig({ env, root: repo, cwd: repo });
      expect(config.source).toBe("defaults");
      expect(config.components.every((c) => c.transport === "connect")).toBe(true);
    }
    expect(() => loadConfig({ env: { ANGZARR_EXAMPLES: "cobol" }, root: repo, cwd: repo })).toThrow(
      /ANGZARR_EXAMPLES: no example programs in "cobol" \(expected typescript, .*python/,
    );
  });

  test("an explicit config file wins over ANGZARR_EXAMPLES", () => {
    const dir = tempDir("examples-config-");
    try {
      const file = join(dir, "angzarr.yaml");
      writeFileSync(file, "components:\n  - { name: order, kind: aggregate, command: [bun, x.ts] }\n");
      const config = loadConfig({ file, env: { ANGZARR_EXAMPLES: "python" }, root: repo });
      expect(config.components.map((c) => c.transport)).toEqual(["connect"]);
    } finally {
      removeDir(dir);
    }
  });
});

describe("examples/mixed/angzarr.yaml", () => {
  const repo = join(import.meta.dir, "..", "..");

  test("TypeScript sagas react to a Python aggregate, and a Python saga to a TypeScript one", () => {
    const config = loadConfig({ env: { ANGZARR_EXAMPLES: "mixed" }, root: repo, cwd: repo });
    const language = (name: string) => {
      const c = config.components.find((x) => x.name === name);
      if (!c || c.launch.type !== "spawn") throw new Error(`no spawned component ${name}`);
      const first = c.launch.argv[0] ?? "";
      if (first.endsWith("python3")) return c.transport === "grpc" ? "python" : "python without grpc";
      if (first.includes("/examples/go/bin/")) return c.transport === "grpc" ? "go" : "go without grpc";
      return c.transport === "connect" ? "typescript" : "typescript over grpc";
    };
    // The order aggregate is Python; the sagas reacting to its events are TypeScript.
    expect(language("order")).toBe("python");
    for (const saga of ["saga-order-inventory", "saga-order-fulfillment", "saga-order-customer"]) {
      expect(language(saga)).toBe("typescript");
    }
    // The fulfillment aggregate is TypeScript; the saga reacting to its events is Python.
    expect(language("fulfillment")).toBe("typescript");
    expect(language("saga-fulfillment-inventory")).toBe("python");
    // And Go aggregates receive the TypeScript sagas' commands.
    expect(language("customer")).toBe("go");
    expect(config.components).toHaveLength(14);
  });
});
