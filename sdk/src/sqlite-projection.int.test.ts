// A read model's file is synced as the store it follows is (PROJECTOR_DB_DURABILITY): NORMAL for
// `normal`, FULL for `full` and when nothing is said.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openProjectionDb, projectionDurability } from "./sqlite-projection";

const SCHEMA = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY)";
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function synchronousOf(durability?: "normal" | "full"): number {
  const dir = mkdtempSync(join(tmpdir(), "projection-db-"));
  dirs.push(dir);
  const db = openProjectionDb(join(dir, "p.db"), SCHEMA, durability);
  try {
    expect(db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe("wal");
    return db.query<{ synchronous: number }, []>("PRAGMA synchronous").get()?.synchronous ?? -1;
  } finally {
    db.close();
  }
}

describe("read-model durability", () => {
  test("normal syncs at checkpoints (NORMAL), full on every commit (FULL)", () => {
    expect(synchronousOf("normal")).toBe(1);
    expect(synchronousOf("full")).toBe(2);
  });

  test("PROJECTOR_DB_DURABILITY: normal or full as said, full when unset, a clear error otherwise", () => {
    expect(projectionDurability({ PROJECTOR_DB_DURABILITY: "normal" })).toBe("normal");
    expect(projectionDurability({ PROJECTOR_DB_DURABILITY: "full" })).toBe("full");
    expect(projectionDurability({ PROJECTOR_DB_DURABILITY: "" })).toBe("full");
    expect(() => projectionDurability({ PROJECTOR_DB_DURABILITY: "fast" })).toThrow(
      /"fast": say "normal" or "full"/,
    );
    expect(projectionDurability({})).toBe("full");
  });
});
