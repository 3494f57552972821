// What a projector program is told about its read model: its file in the read-models folder and
// the durability of the store it follows; other programs are told nothing.
import { describe, expect, test } from "bun:test";
import { readModelEnv } from "./supervisor";

describe("readModelEnv", () => {
  const projector = { kind: "projector", program: "projector-stock" };

  test("a projector gets its file and the store's durability", () => {
    expect(
      readModelEnv(projector, { readModelsDir: "/data/read-models", readModelsDurability: "normal" }),
    ).toEqual({
      PROJECTOR_DB: "/data/read-models/projector-stock.db",
      PROJECTOR_DB_DURABILITY: "normal",
    });
    expect(readModelEnv(projector, { readModelsDurability: "full" })).toEqual({
      PROJECTOR_DB_DURABILITY: "full",
    });
  });

  test("without a durability the program keeps its default; other programs get nothing", () => {
    expect(readModelEnv(projector, { readModelsDir: "/rm" })).toEqual({
      PROJECTOR_DB: "/rm/projector-stock.db",
    });
    expect(
      readModelEnv(
        { kind: "saga", program: "saga-x" },
        { readModelsDir: "/rm", readModelsDurability: "normal" },
      ),
    ).toEqual({});
  });
});
