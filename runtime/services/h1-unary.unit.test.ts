// The lean loop's request head (h1-unary.ts `parseHead`): its fields answer `get` and `has` as
// the `Headers` made from them, which is made only when asked for and holds what the loop made per
// call before (each field appended, trimmed, its name in lower case); a head `Headers` would refuse
// goes to node:http instead of failing in the loop.
import { describe, expect, test } from "bun:test";
import { parseHead, type RequestFields } from "./h1-unary";

const PATH = "/angzarr.CommandGateway/Execute";
const options = {
  handlers: new Map([[PATH, () => Promise.reject(new Error("unused"))]]),
  maxBodyBytes: 1024,
};
const head = (...lines: string[]) => [`POST ${PATH} HTTP/1.1`, ...lines].join("\r\n");
const PLAIN = ["host: 127.0.0.1:9", "content-length: 12", "content-type: application/proto"];

/** The head's fields as the loop made them before: trimmed, lower-cased, appended in order. */
function appended(lines: string[]): Headers {
  const header = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    header.append(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return header;
}

describe("parseHead", () => {
  test("fields answer get and has as the Headers they make, which hold every field in order", () => {
    const lines = [
      ...PLAIN,
      "Connect-Protocol-Version:  1 ",
      "X-Twice: a",
      "x-twice:b",
      "x-empty:",
      "\tX-Padded\t: \u00a0v w\u00a0 ",
      "set-cookie: c=1",
      "Set-Cookie: d=2",
    ];
    const parsed = parseHead(head(...lines), options);
    expect(parsed).toBeDefined();
    const fields = parsed?.fields as RequestFields;
    const expected = appended(lines);
    for (const name of [
      "host",
      "content-length",
      "content-type",
      "connect-protocol-version",
      "x-twice",
      "x-empty",
      "x-padded",
      "set-cookie",
      "absent",
    ]) {
      expect(fields.get(name)).toBe(expected.get(name));
      expect(fields.has(name)).toBe(expected.has(name));
    }
    expect([...fields.headers()]).toEqual([...expected]);
    expect(fields.headers()).toBe(fields.headers()); // made once
    expect(parsed?.length).toBe(12);
    expect(parsed?.close).toBe(false);
  });

  test("what the loop serves and what it leaves to node:http", () => {
    expect(parseHead(head(...PLAIN, "Connection: keep-alive, Close"), options)?.close).toBe(true);
    expect(
      parseHead(head("host: h", "content-length: 1", "Content-Type: Application/JSON"), options),
    ).toBeDefined();
    const refused = [
      head("host: h", "content-length: 1", "content-type: text/plain"),
      head("content-length: 1", "content-type: application/proto"), // no host
      head("host: h", "content-type: application/proto"), // no length
      head(...PLAIN, "content-length: 12"), // twice
      head("host: h", "content-length: 2000", "content-type: application/proto"), // too long
      head(...PLAIN, "transfer-encoding: chunked"),
      head(...PLAIN, "expect: 100-continue"),
      head(...PLAIN, "upgrade: h2c"),
      head(...PLAIN, "connection: upgrade"),
      head(...PLAIN, "content-type: application/json"), // two: "application/proto, application/json"
      head(...PLAIN, "no colon"),
      head(...PLAIN, ": no name"),
      head(...PLAIN, "bad name: v"), // not a token: Headers refuses it
      head(...PLAIN, "b\u00e4d: v"),
      head(...PLAIN, "x-nul: a\u0000b"), // Headers refuses NUL, CR and LF in a value
      head(...PLAIN, "x-lf: a\nb"),
      head(...PLAIN, ""),
      [`GET ${PATH} HTTP/1.1`, ...PLAIN].join("\r\n"),
      [`POST ${PATH} HTTP/1.0`, ...PLAIN].join("\r\n"),
      [`POST /other HTTP/1.1`, ...PLAIN].join("\r\n"),
      [`POST ${PATH} HTTP/1.1 extra`, ...PLAIN].join("\r\n"),
    ];
    for (const text of refused) expect(parseHead(text, options)).toBeUndefined();
  });
});
