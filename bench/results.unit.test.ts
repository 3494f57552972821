import { describe, expect, test } from "bun:test";
import type { Figure } from "./harness";
import { checkedFigure, exitCodeOf, failureOf, resultsDocument } from "./results";

const figure = (value: unknown, peer?: unknown): Figure =>
  ({ name: "f", value, unit: "ms", budget: null, better: "lower", peer }) as Figure;

describe("bench results", () => {
  test("a run whose workloads all succeeded is ok and exits 0", () => {
    const doc = resultsDocument("m", new Date(0), [figure(1.5)], []);
    expect(doc.status).toBe("ok");
    expect(doc.failures).toEqual([]);
    expect(doc.figures.map((f) => f.value)).toEqual([1.5]);
    expect(exitCodeOf(doc)).toBe(0);
  });

  test("a failed workload is an error entry, the others' figures stay, and the run exits 1", () => {
    const failure = failureOf("peer-emmett.bench.ts", new Error("Emmett peer exited 1"));
    const doc = resultsDocument("m", new Date(0), [figure(2)], [failure]);
    expect(doc.status).toBe("failed");
    expect(doc.failures).toEqual([{ workload: "peer-emmett.bench.ts", error: "Emmett peer exited 1" }]);
    expect(doc.figures).toHaveLength(1);
    expect(exitCodeOf(doc)).toBe(1);
    const written = JSON.parse(JSON.stringify(doc)) as typeof doc;
    expect(written.failures[0]?.error).toBe("Emmett peer exited 1");
  });

  test("whatever is thrown becomes a message", () => {
    expect(failureOf("w", "boom").error).toBe("boom");
    expect(failureOf("w", new TypeError("x is null")).error).toBe("x is null");
    expect(failureOf("w", 42).error).toBe("42");
  });

  test("null, NaN, Infinity or a string is never recorded as a figure or a peer figure", () => {
    for (const bad of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY, "12"]) {
      expect(() => checkedFigure(figure(bad))).toThrow(/not a finite number/);
      expect(() => resultsDocument("m", new Date(0), [figure(bad)], [])).toThrow(/not a finite number/);
      if (bad !== null && bad !== undefined)
        expect(() => checkedFigure(figure(1, bad))).toThrow(/peer of "f"/);
    }
    expect(checkedFigure(figure(0, null)).value).toBe(0);
  });
});
