// Which names scripts/leftovers.ts would remove: exactly the shapes our tests generate, nothing else.
import { expect, test } from "bun:test";
import { exchangeRun, plan, queueRun, schemaRun } from "./leftovers";

const hex12 = () => crypto.randomUUID().replaceAll("-", "").slice(0, 12);
const base36 = (n: number) =>
  Math.random()
    .toString(36)
    .slice(2, 2 + n);

test("every schema shape a test, feature or benchmark makes is recognised", () => {
  const id6 = base36(6);
  const id5 = base36(5);
  const made = [
    `angzarr_contract_${hex12()}_7`,
    `angzarr_contract_${hex12()}_123`,
    `angzarr_t_late_${hex12()}`,
    `angzarr_t_migrate_${hex12()}`,
    `angzarr_migrate_${hex12()}`,
    `angzarr_bench_${hex12()}`,
    `roles_${id6}`,
    `trace_${id6}`,
    `acc_${id6}`,
    `cli_${id6}`,
    `killsaga_${id5}`,
    `killagg_${id5}`,
    `broker_${id5}`,
    `pgdown_${id5}`,
    `repl_saga_${id5}`,
    `repl_projector_${id5}`,
    `bench_${id5}`,
  ];
  expect(made.filter((s) => schemaRun(s) === undefined)).toEqual([]);
});

test("schemas of other shapes are never touched", () => {
  for (const name of [
    "public",
    "angzarr",
    "information_schema",
    "pg_catalog",
    "pg_toast",
    "angzarr_contract_",
    "angzarr_contract_0123456789ab", // no counter
    "angzarr_t_late_0123456789", // 10 hex digits, not 12
    "angzarr_migrate_0123456789AB", // upper case: not what the UUID gives
    "roles_abc", // too short
    "roles_abcdefg", // too long
    "acc_order", // 5 characters (a 6-character word such as acc_orders has the shape of an id)
    "broker_main1x",
    "repl_other_abcde",
    "orders_abcdef",
    "my_angzarr_bench_0123456789ab",
  ]) {
    expect([name, schemaRun(name)]).toEqual([name, undefined]);
  }
});

test("queues and exchanges of a run's bus prefix and of the bus contract are recognised", () => {
  const id = base36(6);
  expect(queueRun(`roles-${id}.saga-src-ledger.src`)).toBe(`roles_${id}`);
  expect(queueRun(`acc-${id}.pmg-order.*`)).toBe(`acc_${id}`);
  expect(queueRun("pgdown_ab1cd.saga-src-ledger.src")).toBe("pgdown_ab1cd");
  expect(queueRun(`trace-${id}.tail.${crypto.randomUUID()}`)).toBe(`trace_${id}`);
  expect(exchangeRun(`cli-${id}.events`)).toBe(`cli_${id}`);
  expect(exchangeRun("repl_saga_0a1b2.events")).toBe("repl_saga_0a1b2");
  expect(queueRun("brokertest-0a1b2c3d.saga-x.src")).toBe("brokertest_0a1b2c3d");
  // The bus contract: exchange test.bus.<8 hex>, queues test.<8 hex>.<consumer>.<domain>.
  expect(exchangeRun("test.bus.0a1b2c3d")).toBe("test.0a1b2c3d");
  expect(queueRun("test.0a1b2c3d.projector.orders")).toBe("test.0a1b2c3d");
});

test("other queues and exchanges are never touched", () => {
  for (const name of [
    "angzarr.events",
    "angzarr.saga-order.order",
    "amq.topic",
    "amq.rabbitmq.trace",
    "",
    "roles-abcdef", // a prefix alone is neither a queue nor an exchange of the run
    "roles-abcdef.",
    "test.bus.0a1b2c3", // 7 hex
    "test.0a1b2c3d", // no consumer part
    "orders-abcdef.events",
    "orders-abcdef.saga-order.order",
  ]) {
    expect([name, queueRun(name)]).toEqual([name, undefined]);
    expect([name, exchangeRun(name)]).toEqual([name, undefined]);
  }
});

test("a run with a consumed queue is left whole: its schema, queues and exchange", () => {
  const found = plan({
    schemas: ["public", "angzarr", "acc_live01", "acc_dead01", `angzarr_migrate_${"a".repeat(12)}`],
    queues: new Map([
      ["acc-live01.saga-order.order", 1],
      ["acc-live01.projector-web.order", 0],
      ["acc-dead01.saga-order.order", 0],
      ["angzarr.saga-order.order", 0],
    ]),
    exchanges: ["amq.topic", "angzarr.events", "acc-live01.events", "acc-dead01.events"],
  });
  expect(found.schemas).toEqual(["acc_dead01", `angzarr_migrate_${"a".repeat(12)}`]);
  expect(found.queues).toEqual(["acc-dead01.saga-order.order"]);
  expect(found.exchanges).toEqual(["acc-dead01.events"]);
  expect(found.inUse).toHaveLength(4);
  expect(found.inUse.every((line) => line.includes("acc-live01") || line.includes("acc_live01"))).toBe(true);
});
