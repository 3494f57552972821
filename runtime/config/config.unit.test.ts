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
    expect(config.handlers.maxMessageBytes).toBe(16 * 1024 * 1024);
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
      "prot: unknown key (allowed: port, host, data, log, storage, handlers, reactive, components)",
    );
    expect(
      err.problems.some((p) => p.startsWith("handlers.timeout: unknown key (allowed: maxMessageBytes,")),
    ).toBe(true);
    expect(err.problems.some((p) => p.startsWith("components[0].cmd: unknown key"))).toBe(true);
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
  });

  test("bad environment values name the variable", () => {
    const err = configError(() =>
      loadConfig({ env: { ANGZARR_PORT: "70000", ANGZARR_STORAGE: "disk" }, root: dir }),
    );
    expect(err.where).toBe("environment");
    expect(err.problems).toEqual([
      'ANGZARR_PORT: expected an integer 0..65535, got "70000"',
      'ANGZARR_STORAGE: expected memory, sqlite or postgres, got "disk"',
    ]);
  });
});
