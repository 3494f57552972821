// The Containerfile lint: clean on ours, and each rule shown to fail on a broken copy.
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { removeDir, tempDir } from "../runtime/testing/processes";
import {
  CONTAINERFILES,
  type ContainerfileRules,
  DISTROLESS,
  lintContainerfile,
  lintIgnoreFiles,
} from "./containerfile-lint";
import { ROOT } from "./tools";

const ours = () => readFileSync(join(ROOT, "Containerfile"), "utf8");

test("the Containerfile and its ignore files are clean", () => {
  expect(lintContainerfile(ours())).toEqual([]);
  expect(lintIgnoreFiles()).toEqual([]);
});

test.each(Object.entries(CONTAINERFILES))("%s and its ignore files are clean", (path, rules) => {
  expect(lintContainerfile(readFileSync(join(ROOT, path), "utf8"), rules)).toEqual([]);
  expect(lintIgnoreFiles(join(ROOT, dirname(path)), rules.excludes)).toEqual([]);
});

test("a language image: another base default, or an ENTRYPOINT, is refused", () => {
  const path = "examples/go/Containerfile";
  const rules = CONTAINERFILES[path] as ContainerfileRules;
  const text = readFileSync(join(ROOT, path), "utf8");
  expect(lintContainerfile(text.replace(rules.base, DISTROLESS), rules).join("\n")).toContain(
    `defaulting to ${rules.base}`,
  );
  expect(
    lintContainerfile(
      text.replace("USER 65532:65532", 'USER 65532:65532\nENTRYPOINT ["/usr/local/bin/agg-order"]'),
      rules,
    ).join("\n"),
  ).toContain("sets no ENTRYPOINT");
});

describe("each rule fails on a broken copy", () => {
  test.each([
    [
      "an unknown instruction",
      (t: string) => t.replace("WORKDIR /src", "WORKDIRR /src"),
      "Unknown instruction: WORKDIRR",
    ],
    [
      "a shell-form RUN",
      (t: string) => t.replace(/RUN \["bun", "install"[^\n]*/, "RUN bun install"),
      "RUN must use the exec form",
    ],
    [
      "a shell-form ENTRYPOINT",
      (t: string) =>
        t.replace('ENTRYPOINT ["/usr/local/bin/entrypoint"]', "ENTRYPOINT /usr/local/bin/entrypoint"),
      "ENTRYPOINT must use the exec form",
    ],
    ["ADD", (t: string) => t.replace("COPY . /src", "ADD . /src"), "use COPY, not ADD"],
    [
      "root user",
      (t: string) => t.replace("USER 65532:65532", "USER root"),
      "must run as USER 65532, not root",
    ],
    ["no user", (t: string) => t.replace("USER 65532:65532\n", ""), "must set USER 65532"],
    [
      "another base default",
      (t: string) => t.replace("ARG BASE=gcr.io/distroless/cc-debian12:nonroot", "ARG BASE=debian:12"),
      "defaulting to gcr.io/distroless/cc-debian12:nonroot",
    ],
    [
      "a latest image",
      (t: string) => t.replace(/FROM \$\{BUILDER\} AS build/, "FROM docker.io/oven/bun:latest AS build"),
      "uses the latest tag",
    ],
    [
      "an untagged image",
      (t: string) => t.replace(/FROM \$\{BUILDER\} AS build/, "FROM oven/bun AS build"),
      "is not pinned",
    ],
    [
      "a RUN in the runtime stage",
      (t: string) => t.replace("USER 65532:65532", 'RUN ["true"]\nUSER 65532:65532'),
      "runtime stage must not RUN",
    ],
    [
      "copying the context into the runtime",
      (t: string) =>
        t.replace("COPY --from=build /out/ /", "COPY --from=build /out/ /\nCOPY domains/ /domains/"),
      "copies only from a build stage",
    ],
    [
      "an undeclared argument",
      (t: string) => t.replace("ARG PROGRAM\nCOPY --from", "COPY --from"),
      "PROGRAM}, not declared by ARG in this stage",
    ],
  ] as [string, (t: string) => string, string][])("%s", (_what, breakIt, message) => {
    const broken = breakIt(ours());
    expect(broken).not.toBe(ours());
    expect(lintContainerfile(broken).join("\n")).toContain(message);
  });

  let dir: string | undefined;
  afterEach(() => {
    if (dir) removeDir(dir);
    dir = undefined;
  });

  test("ignore files: no whitelist, node_modules sent, .containerignore drifting", () => {
    dir = tempDir("az-ignore-");
    writeFileSync(join(dir, ".dockerignore"), "dist/\n");
    writeFileSync(join(dir, ".containerignore"), "*\n");
    const problems = lintIgnoreFiles(dir).join("\n");
    expect(problems).toContain("must start with `*`");
    expect(problems).toContain("must exclude **/node_modules");
    expect(problems).toContain(".containerignore differs from .dockerignore");
    const linked = tempDir("az-ignore-");
    writeFileSync(join(linked, ".dockerignore"), readFileSync(join(ROOT, ".dockerignore")));
    symlinkSync(".dockerignore", join(linked, ".containerignore"));
    expect(lintIgnoreFiles(linked)).toEqual([]);
    removeDir(linked);
  });
});
