// Runs one Gherkin suite through cucumber's programmatic API (cucumber's own CLI refuses the
// Node version `bun x` would use, and its --parallel mode does not work under Bun).
//
//   ANGZARR_FEATURES=unit        features/unit/*.feature, domain logic called directly
//   ANGZARR_FEATURES=acceptance  features/acceptance/*.feature, the whole runtime
//                                (ANGZARR_TEST_MODE=standalone | gateway picks the backend)
//   ANGZARR_FEATURE_FILES=a,b    only features/<suite>/a.feature and b.feature
//
// Strict: undefined or pending steps fail the run. The summary line counts every scenario.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { loadConfiguration, runCucumber } from "@cucumber/cucumber/api";

const suite = process.env.ANGZARR_FEATURES ?? process.argv[2] ?? "unit";
const root = import.meta.dir;
const dir = join(root, suite);
if (!existsSync(dir) || !readdirSync(dir).some((f) => f.endsWith(".feature"))) {
  console.log(`no ${suite} features`);
  console.log("0 scenarios (0 passed)");
  process.exit(0);
}

// ANGZARR_FEATURE_FILES=order-lifecycle,cancellation: only those features of the suite.
const files = (process.env.ANGZARR_FEATURE_FILES ?? "").split(",").filter(Boolean);
const { runConfiguration } = await loadConfiguration({
  provided: {
    paths: files.length > 0 ? files.map((f) => join(dir, `${f}.feature`)) : [join(dir, "**/*.feature")],
    import: [join(root, "support", "**/*.ts"), join(root, "steps", suite, "**/*.ts")],
    format: ["progress", "summary"],
    strict: true,
    ...(process.env.ANGZARR_FEATURE_NAME ? { name: [process.env.ANGZARR_FEATURE_NAME] } : {}),
  },
});
const { success } = await runCucumber(runConfiguration);
process.exit(success ? 0 : 1);
