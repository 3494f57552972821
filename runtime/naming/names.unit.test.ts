import { describe, expect, test } from "bun:test";
import { nameProblem } from "./names";

describe("the name rule", () => {
  test("letters, digits, '.', '_' and '-', starting with a letter or digit, up to 128", () => {
    for (const ok of ["what-if", "Q3.plan_2", "a", "9", "x".repeat(128)]) {
      expect(nameProblem("edition", ok)).toBeUndefined();
    }
  });

  test("anything else is refused with the value cut to 128 characters", () => {
    for (const bad of [
      "",
      "-x",
      ".hidden",
      "a b",
      "../etc",
      "x'; DROP TABLE events;--",
      "nul\u0000",
      "é",
      "x".repeat(129),
    ]) {
      expect(nameProblem("edition", bad)).toStartWith("Invalid edition name ");
    }
    const long = nameProblem("edition", "y".repeat(5000)) ?? "";
    expect(long.length).toBeLessThan(300);
    expect(long).toContain(`"${"y".repeat(128)}..."`);
  });
});
