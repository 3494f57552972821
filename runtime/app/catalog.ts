// What a standalone runtime is made of, for the inspection and projection services: every
// supervised component with its inputs and its program's state, and the consumers' checkpoints.
import type { ReactiveHost } from "../coordinator/reactive-host";
import type { ReactiveDirectory } from "../coordinator/reactive-ports";
import type { ComponentInfo, RuntimeCatalog } from "../services/deps";
import type { Supervisor } from "../supervisor/supervisor";

export function standaloneCatalog(
  supervisor: Supervisor,
  directory: ReactiveDirectory,
  reactive: ReactiveHost,
): RuntimeCatalog {
  const health = (program: string) => supervisor.program(program)?.state ?? "unknown";
  const domains = (filters: { domain?: string }[]) =>
    filters.map((f) => f.domain).filter((d): d is string => d !== undefined);
  return {
    async components() {
      const out: ComponentInfo[] = [];
      for (const p of supervisor.programs()) {
        const c = p.component;
        if (c.kind !== "aggregate") continue;
        const domain = c.domain ?? c.name;
        out.push({ name: domain, kind: "aggregate", domain, inputs: [], health: p.state });
      }
      for (const s of directory.sagas())
        out.push({
          name: s.name,
          kind: "saga",
          domain: "",
          inputs: domains([s.input]),
          health: health(s.name),
        });
      for (const pm of directory.processManagers())
        out.push({
          name: pm.name,
          kind: "process_manager",
          domain: pm.stateDomain,
          inputs: domains(pm.inputs),
          health: health(pm.name),
        });
      for (const p of directory.projectors())
        out.push({
          name: p.name,
          kind: "projector",
          domain: "",
          inputs: domains([p.input]),
          health: health(p.name),
        });
      return out;
    },
    checkpoints: () => reactive.checkpoints(),
  };
}
