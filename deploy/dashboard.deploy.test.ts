// The Grafana dashboard shipped with the chart: a ConfigMap with the Grafana sidecar's label in
// every profile, valid dashboard JSON whose queries name only metrics the runtime exports, and
// every exported metric shown somewhere. The check itself is shown to catch a made-up name.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { METRIC_NAMES } from "../runtime/observability/metrics";
import { CHART, type Profile, render } from "./chart";

interface Dashboard {
  title: string;
  panels: { title: string; targets: { expr: string }[] }[];
}

/** The histograms: each adds `_bucket`, `_count` and `_sum` series to its base name. */
const HISTOGRAMS: string[] = [
  METRIC_NAMES.commandDuration,
  METRIC_NAMES.handlerRoundTrip,
  METRIC_NAMES.storeDuration,
];

/** The metric names the runtime exposes at GET /metrics. */
function exported(): Set<string> {
  const names = new Set<string>();
  for (const name of Object.values(METRIC_NAMES)) {
    names.add(name);
    if (HISTOGRAMS.includes(name)) {
      for (const suffix of ["_bucket", "_count", "_sum"]) names.add(`${name}${suffix}`);
    }
  }
  return names;
}

/** Every `angzarr_…` metric a dashboard's queries name that the runtime does not export. */
export function unknownMetrics(dashboard: Dashboard, known = exported()): string[] {
  const unknown = new Set<string>();
  for (const panel of dashboard.panels) {
    for (const target of panel.targets) {
      for (const name of target.expr.match(/\bangzarr_[a-z0-9_]+/g) ?? []) {
        if (!known.has(name)) unknown.add(name);
      }
    }
  }
  return [...unknown].sort();
}

const dashboardFile = () =>
  JSON.parse(readFileSync(join(CHART, "dashboards", "angzarr.json"), "utf8")) as Dashboard;

describe("Grafana dashboard", () => {
  for (const profile of ["distributed", "standalone"] as Profile[]) {
    test(`${profile}: a ConfigMap the Grafana sidecar picks up, holding the dashboard`, () => {
      const maps = render(profile).filter(
        (m) => m.kind === "ConfigMap" && m.metadata.labels?.grafana_dashboard === "1",
      );
      expect(maps).toHaveLength(1);
      const data = (maps[0] as unknown as { data: Record<string, string> }).data;
      expect(JSON.parse(data["angzarr.json"] ?? "")).toEqual(dashboardFile());
    });
  }

  test("it can be turned off", () => {
    const maps = render("distributed", { set: ["grafana.dashboard.enabled=false"] }).filter(
      (m) => m.metadata.labels?.grafana_dashboard !== undefined,
    );
    expect(maps).toEqual([]);
  });

  test("its queries name only metrics the runtime exports, and show every one of them", () => {
    const dashboard = dashboardFile();
    expect(unknownMetrics(dashboard)).toEqual([]);
    const shown = new Set(
      dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/\bangzarr_[a-z0-9_]+/g) ?? [])),
    );
    const base = (name: string) => name.replace(/_(bucket|count|sum)$/, "");
    const missing = Object.values(METRIC_NAMES).filter((n) => ![...shown].some((s) => base(s) === n));
    expect(missing).toEqual([]);
  });

  test("the check catches a metric the runtime does not export", () => {
    const broken = dashboardFile();
    broken.panels[0]?.targets.push({ expr: "rate(angzarr_commands_totla[5m])" });
    expect(unknownMetrics(broken)).toEqual(["angzarr_commands_totla"]);
  });
});
