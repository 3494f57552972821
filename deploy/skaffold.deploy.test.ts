// skaffold.yaml against the skaffold/v4beta13 schema and against the chart and the programs; each
// check also shown to fail on a broken copy.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { targets } from "../scripts/build";
import { chartValues } from "./chart";
import { LANGUAGE_IMAGES } from "./images";
import {
  checkSkaffoldConsistency,
  readSkaffold,
  SCHEMA,
  sharedSchemaPath,
  validateSkaffoldSchema,
} from "./skaffold-check";

type Doc = {
  apiVersion: string;
  build: {
    artifacts: { image: string; docker: { buildArgs: Record<string, string>; dockerfile: string } }[];
  };
  deploy: { helm: { releases: { setValueTemplates: Record<string, string> }[] } };
  profiles: { name: string }[];
};
const doc = () => readSkaffold() as Doc;
const programs = targets().map((t) => t.program);
const consistency = (d: unknown) =>
  checkSkaffoldConsistency(d, chartValues("distributed"), programs, LANGUAGE_IMAGES);

test("the kept schema is the workplace's skaffold/v4beta13 schema, where that copy exists", () => {
  const kept = readFileSync(SCHEMA, "utf8");
  expect(JSON.parse(kept).definitions.SkaffoldConfig).toBeDefined();
  const shared = sharedSchemaPath();
  if (shared) expect(kept).toBe(readFileSync(shared, "utf8"));
});

test("skaffold.yaml is valid skaffold/v4beta13", () => {
  expect(doc().apiVersion).toBe("skaffold/v4beta13");
  expect(validateSkaffoldSchema(doc())).toEqual([]);
});

test("one artifact per program and per language image, each image set by name; profiles standalone, distributed, python and go", () => {
  expect(programs).toContain("angzarr");
  expect(programs.length).toBeGreaterThan(10);
  expect(consistency(doc())).toEqual([]);
});

describe("the checks fail on broken copies", () => {
  test("schema: an unknown field, a wrong type, a wrong apiVersion", () => {
    const d = doc() as Doc & Record<string, unknown>;
    (d.build.artifacts[0] as Record<string, unknown>).dockerfil = "Containerfile";
    expect(validateSkaffoldSchema(d).join("\n")).toContain("dockerfil");
    const t = doc() as unknown as { build: { local: { concurrency: unknown } } };
    t.build.local.concurrency = "two";
    expect(validateSkaffoldSchema(t).join("\n")).toContain("/build/local/concurrency");
    const v = doc();
    v.apiVersion = "skaffold/v9";
    expect(validateSkaffoldSchema(v)).not.toEqual([]);
  });

  test.each([
    [
      "a missing artifact",
      (d: Doc) => d.build.artifacts.splice(1, 1),
      "needs exactly one build artifact, has 0",
    ],
    [
      "a wrong build argument",
      (d: Doc) => {
        (d.build.artifacts[2] as Doc["build"]["artifacts"][0]).docker.buildArgs.PROGRAM = "angzarr";
      },
      "buildArgs.PROGRAM must be",
    ],
    [
      "another Dockerfile",
      (d: Doc) => {
        (d.build.artifacts[0] as Doc["build"]["artifacts"][0]).docker.dockerfile = "Dockerfile";
      },
      "must build from the Containerfile",
    ],
    [
      "a missing value template",
      (d: Doc) => {
        delete d.deploy.helm.releases[0]?.setValueTemplates["images.agg-order.digest"];
      },
      "setValueTemplates.images.agg-order.digest is missing",
    ],
    [
      "another artifact's variable",
      (d: Doc) => {
        (d.deploy.helm.releases[0] as { setValueTemplates: Record<string, string> }).setValueTemplates[
          "images.agg-order.tag"
        ] = "{{.IMAGE_TAG_agg_cart}}";
      },
      "must use the agg-order artifact's own variable",
    ],
    [
      "a list index",
      (d: Doc) => {
        (d.deploy.helm.releases[0] as { setValueTemplates: Record<string, string> }).setValueTemplates[
          "components[0].image"
        ] = "{{.IMAGE_NAME2}}";
      },
      "never by list index",
    ],
    [
      "a language image built from the root Containerfile",
      (d: Doc) => {
        const a = d.build.artifacts.find(
          (x) => x.image === "examples-python",
        ) as Doc["build"]["artifacts"][0] & {
          context: string;
        };
        a.context = ".";
      },
      "artifact examples-python: context must be examples/python",
    ],
    [
      "a language image without its artifact",
      (d: Doc) => {
        d.build.artifacts = d.build.artifacts.filter((x) => x.image !== "examples-go");
      },
      "image examples-go: needs exactly one build artifact, has 0",
    ],
    [
      "a missing language profile",
      (d: Doc) => {
        d.profiles = d.profiles.filter((p) => p.name !== "python");
      },
      "no python profile",
    ],
    [
      "a missing profile",
      (d: Doc) => {
        d.profiles = d.profiles.filter((p) => p.name !== "standalone");
      },
      "no standalone profile",
    ],
  ] as [string, (d: Doc) => void, string][])("consistency: %s", (_what, breakIt, message) => {
    const d = doc();
    breakIt(d);
    expect(consistency(d).join("\n")).toContain(message);
  });

  test("consistency: a program without an image in the chart", () => {
    expect(
      checkSkaffoldConsistency(
        doc(),
        chartValues("distributed"),
        [...programs, "agg-new"],
        LANGUAGE_IMAGES,
      ).join("\n"),
    ).toContain("program agg-new has no images.agg-new entry");
  });
});
