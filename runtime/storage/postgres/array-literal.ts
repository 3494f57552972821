// PostgreSQL array parameters as the text literals `sql.array` builds, built here in one pass.
// bun:sql's `sql.array(values, type)` quotes every element through a general routine (and bytea
// through Buffer hex per element); a grouped append sends 19 such arrays per statement
// (append-batch.ts), which cost the aggregate role more than the rest of the statement's client
// side. Every array parameter of the PostgreSQL stores goes through here (appends, the outbox's
// writes, getMany). The statement casts each literal (`$n::text[]`), so the server reads the same
// array.
// Elements are quoted (text), `\x`-hex (bytea) or decimal (integers); null is NULL.

/** A text[] literal: every element double-quoted, `"` and `\` escaped. */
export function textArray(values: readonly (string | null)[]): string {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ",";
    const value = values[i];
    if (value === null || value === undefined) {
      out += "NULL";
      continue;
    }
    let plain = true;
    for (let k = 0; k < value.length; k++) {
      const c = value.charCodeAt(k);
      if (c === 0x22 || c === 0x5c) {
        plain = false;
        break;
      }
    }
    out += plain ? `"${value}"` : `"${value.replace(/["\\]/g, "\\$&")}"`;
  }
  return `${out}}`;
}

/** A bytea[] literal: every element `"\\x<hex>"` (the backslash escaped inside the quotes). */
export function byteaArray(values: readonly (Uint8Array | null)[]): string {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ",";
    const value = values[i];
    out +=
      value === null || value === undefined
        ? "NULL"
        : `"\\\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}"`;
  }
  return `${out}}`;
}

/** An int4[] / int8[] literal (integers, as numbers or bigints). */
export function integerArray(values: readonly (number | bigint | null)[]): string {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ",";
    const value = values[i];
    if (value === null || value === undefined) out += "NULL";
    else if (typeof value === "bigint" || Number.isSafeInteger(value)) out += String(value);
    else throw new RangeError(`not an integer: ${value}`);
  }
  return `${out}}`;
}
