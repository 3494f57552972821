// Lint of the Containerfile: syntax and instruction checks from dockerfile-utils, plus the rules
// that matter for these images (hadolint is not obtainable here):
//   - the runtime base is a build argument defaulting to the distroless image of its kind (cc for the
//     Bun programs, static for Go, python3 with grpcio for Python: CONTAINERFILES);
//   - every FROM is a build argument or a pinned image (no latest, no untagged);
//   - RUN and ENTRYPOINT in exec form (the builder may have no shell; the runtime has none);
//   - no ADD; the final stage copies only from a build stage, sets USER 65532, runs no RUN, and has an
//     ENTRYPOINT exactly when the image holds one program;
//   - a build argument used in a stage is declared in that stage;
//   - the ignore file whitelists the context and excludes node_modules; .containerignore = .dockerignore.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { DockerfileParser } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { ROOT } from "./tools";

export const DISTROLESS = "gcr.io/distroless/cc-debian12:nonroot";

/** What one Containerfile must hold: its runtime base's default, and whether it names an entrypoint. */
export interface ContainerfileRules {
  base: string;
  /** One program per image: ENTRYPOINT required. Several (a language's image): none, the program is the command. */
  entrypoint: boolean;
  /** Patterns its ignore file must exclude. */
  excludes: string[];
}

/** The Containerfiles and their rules, by path (relative to the checkout; the folder is the context). */
export const CONTAINERFILES: Record<string, ContainerfileRules> = {
  Containerfile: { base: DISTROLESS, entrypoint: true, excludes: ["**/node_modules"] },
  // Distroless python3 plus Debian's grpcio and protobuf, built locally (deploy/images.ts).
  "examples/python/Containerfile": {
    base: "localhost/angzarr-base-python:debian12",
    entrypoint: false,
    excludes: ["**/__pycache__"],
  },
  "examples/go/Containerfile": {
    base: "gcr.io/distroless/static-debian12:nonroot",
    entrypoint: false,
    excludes: ["**/*_test.go"],
  },
};

export function lintContainerfile(
  text: string,
  rules: ContainerfileRules = CONTAINERFILES.Containerfile as ContainerfileRules,
): string[] {
  const out: string[] = [];
  for (const d of validate(text)) out.push(`line ${d.range.start.line + 1}: ${d.message}`);
  const file = DockerfileParser.parse(text);
  const instructions = file.getInstructions();
  const at = (line: number) => `line ${line + 1}`;

  const globalArgs = new Map<string, string>();
  for (const i of instructions) {
    if (i.getKeyword() === "FROM") break;
    if (i.getKeyword() === "ARG") {
      const [name, value = ""] = i.getArgumentsContent()?.split("=") ?? [];
      if (name) globalArgs.set(name, value);
    }
  }
  const froms = file.getFROMs();
  if (froms.length < 2) out.push("needs a build stage and a runtime stage (multi-stage)");
  for (const from of froms) {
    const image = from.getImage() ?? "";
    const line = at(from.getRange().start.line);
    const arg = /^\$\{?(\w+)\}?$/.exec(image)?.[1];
    if (arg !== undefined) {
      if (!globalArgs.has(arg))
        out.push(`${line}: FROM uses build argument ${arg}, which is not declared before the first FROM`);
      continue;
    }
    const stage = froms.some((f) => f.getBuildStage() === image);
    if (stage) continue;
    if (!/[:@]/.test(image.slice(image.lastIndexOf("/") + 1)))
      out.push(`${line}: FROM ${image} is not pinned to a tag or digest`);
    if (/:latest$/.test(image)) out.push(`${line}: FROM ${image} uses the latest tag`);
  }
  const last = froms.at(-1);
  const baseArg = last ? /^\$\{?(\w+)\}?$/.exec(last.getImage() ?? "")?.[1] : undefined;
  if (!baseArg || globalArgs.get(baseArg) !== rules.base)
    out.push(`the runtime stage must be FROM a build argument defaulting to ${rules.base}`);

  const finalStart = last?.getRange().start.line ?? 0;
  let user: string | undefined;
  const stageArgs = new Set<string>();
  for (const i of instructions) {
    const keyword = i.getKeyword();
    const line = i.getRange().start.line;
    const args = i.getArgumentsContent() ?? "";
    const source = text.split("\n")[line] ?? "";
    const final = line >= finalStart;
    if (keyword === "FROM") stageArgs.clear();
    if (keyword === "ARG") stageArgs.add(args.split("=")[0] ?? "");
    for (const used of args.matchAll(/\$\{?(\w+)\}?/g)) {
      const name = used[1] as string;
      if (keyword !== "FROM" && keyword !== "ARG" && !stageArgs.has(name) && !/^(PATH|HOME)$/.test(name))
        out.push(`${at(line)}: ${keyword} uses \${${name}}, not declared by ARG in this stage`);
    }
    if (keyword === "ADD") out.push(`${at(line)}: use COPY, not ADD`);
    if ((keyword === "RUN" || keyword === "ENTRYPOINT" || keyword === "CMD") && !args.trim().startsWith("["))
      out.push(`${at(line)}: ${keyword} must use the exec form (JSON array): there is no shell`);
    if (final && keyword === "RUN")
      out.push(`${at(line)}: the runtime stage must not RUN anything (distroless)`);
    if (final && keyword === "COPY" && !/--from=\w+/.test(source))
      out.push(`${at(line)}: the runtime stage copies only from a build stage (COPY --from=...)`);
    if (final && keyword === "USER") user = args.trim();
  }
  if (user === undefined) out.push("the runtime stage must set USER 65532 (numeric, for runAsNonRoot)");
  else if (!/^65532(:65532)?$/.test(user)) out.push(`the runtime stage must run as USER 65532, not ${user}`);
  const entrypoint = instructions.some(
    (i) => i.getKeyword() === "ENTRYPOINT" && i.getRange().start.line >= finalStart,
  );
  if (rules.entrypoint && !entrypoint) out.push("the runtime stage must set an ENTRYPOINT");
  if (!rules.entrypoint && entrypoint)
    out.push("an image of several programs sets no ENTRYPOINT (the program is the command)");
  return out;
}

/** The ignore file(s) of the build context. */
export function lintIgnoreFiles(root = ROOT, excludes = ["**/node_modules"]): string[] {
  const out: string[] = [];
  const docker = join(root, ".dockerignore");
  const podman = join(root, ".containerignore");
  if (!existsSync(docker)) return [".dockerignore is missing"];
  const lines = readFileSync(docker, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  if (lines[0] !== "*") out.push(".dockerignore must start with `*` and whitelist what the build needs");
  for (const pattern of excludes)
    if (!lines.includes(pattern)) out.push(`.dockerignore must exclude ${pattern}`);
  if (!existsSync(podman)) out.push(".containerignore is missing");
  else if (
    realpathSync(podman) !== realpathSync(docker) &&
    readFileSync(podman, "utf8") !== readFileSync(docker, "utf8")
  )
    out.push(".containerignore differs from .dockerignore");
  return out;
}
