// Summarises a `.cpuprofile` (Chrome format, as `bun --cpu-prof` writes it): the functions with
// the most self time and the most inclusive time, as shares of all samples.
// `bun bench/profile-summary.ts FILE [TOP]`. Bun's sampler also counts time the thread waits
// (no separate idle frame), so a share is CPU or waiting; compare with process CPU time.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function summarise(profile: Profile, top: number): string {
  const nodes = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    nodes.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const sampled = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    sampled.set(id, (sampled.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...sampled.values()].reduce((a, b) => a + b, 0);
  const name = (n: ProfileNode) =>
    `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").slice(-2).join("/")}:${
      n.callFrame.lineNumber + 1
    }`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, t] of sampled) {
    const node = nodes.get(id);
    if (node === undefined) continue;
    self.set(name(node), (self.get(name(node)) ?? 0) + t);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = nodes.get(at);
      if (frame === undefined) break;
      const key = name(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + t);
    }
  }
  const lines: string[] = [];
  const list = (title: string, m: Map<string, number>) => {
    lines.push(`== ${title} (of ${(total / 1000).toFixed(0)} ms sampled)`);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      lines.push(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
    }
    lines.push("");
  };
  list("self", self);
  list("inclusive", inclusive);
  return lines.join("\n");
}

if (import.meta.main) {
  const [file, top = "40"] = process.argv.slice(2);
  if (file === undefined) throw new Error("usage: bun bench/profile-summary.ts FILE.cpuprofile [TOP]");
  console.log(summarise((await Bun.file(file).json()) as Profile, Number(top)));
}
